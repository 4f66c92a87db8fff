"""Predictions as `hyda predict` lays them out: its CSV read back, and the Python module's
arrays put in the same columns, so the two compare number for number."""
import csv

import numpy as np


def read_prediction_csv(path):
    """(header, values): the CSV's header and its rows as doubles (the row index first)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], np.array([[float(v) for v in r] for r in rows[1:]])


def prediction_columns(model, predictions):
    """(names, values): Model.predict's arrays as hyda predict's columns and their header
    names ("<task>", or "<task>=<class>" per class of a multiclass task)."""
    names, values = [], []
    for t in model.tasks:
        p = predictions[t["name"]]
        if t["kind"] == "multiclass":
            names += [t["name"] + "=" + c for c in t["classes"]]
            values += list(p.T)
        else:
            names.append(t["name"])
            values.append(p)
    return names, np.column_stack(values)
