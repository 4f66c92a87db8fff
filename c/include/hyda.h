/* hyda.h: the C API of hyda (docs/c-api.md). Load a model file written by `hyda train`
 * (or by the C++ and Python APIs) and predict with it, from C or from any language with a
 * C FFI.
 *
 *     hyda_model* m = hyda_load("model.model");
 *     if (!m) { fprintf(stderr, "%s\n", hyda_last_error()); return 1; }
 *     size_t rows;
 *     double* p = hyda_predict_csv(m, "new.csv", &rows);  // rows x hyda_output_count(m)
 *     if (!p) { fprintf(stderr, "%s\n", hyda_last_error()); ... }
 *     ...
 *     hyda_free_predictions(p);
 *     hyda_free(m);
 *
 * Predictions are laid out as `hyda predict` prints them: one row per input row, and in
 * it, task by task, one value for a binary task (the probability of its positive value),
 * one for a regression task (in the target column's own units), and one probability per
 * class for a multiclass task (in the order of hyda_task_class). hyda_output_name names
 * each value as `hyda predict`'s header does.
 *
 * Errors: a function that fails returns NULL, -1 or 0 as it says, and records a message
 * naming what is wrong (the file, the index) as the calling thread's last error, which
 * hyda_last_error() returns. Every other call clears it. No C++ exception crosses this API.
 *
 * Threads: a loaded model is immutable; any number of threads may call the functions
 * below with it at once. hyda_free must not race with other calls on the same model.
 * Each prediction may also use hyda's own kernel threads: HYDA_NUM_THREADS in the
 * environment (read when hyda first runs) caps them; by default there are as many as the
 * hardware has. Results do not depend on the thread count. */
#ifndef HYDA_H
#define HYDA_H

#include <stddef.h>

#if defined(_WIN32)
#define HYDA_C_API
#else
#define HYDA_C_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hyda_model hyda_model;

typedef enum hyda_kind { HYDA_BINARY = 0, HYDA_REGRESSION = 1, HYDA_MULTICLASS = 2 } hyda_kind;

/* Loads a model file; NULL on failure (a missing, unreadable, truncated, corrupt,
 * foreign or newer-version file; the message names the file and what is wrong). */
HYDA_C_API hyda_model* hyda_load(const char* path);
/* Frees a model and every string it handed out (NULL is allowed). */
HYDA_C_API void hyda_free(hyda_model* model);

/* Tasks, in the model's order (hyda train's: the main task first). -1 for NULL. */
HYDA_C_API int hyda_task_count(const hyda_model* model);
/* The task's name (its target column), valid while the model lives; NULL for a bad index. */
HYDA_C_API const char* hyda_task_name(const hyda_model* model, int task);
/* The task's kind (a hyda_kind; a logregression target is HYDA_REGRESSION); -1 for a bad index. */
HYDA_C_API int hyda_task_kind(const hyda_model* model, int task);
/* Values per row for the task: 1, or its class count (multiclass); -1 for a bad index. */
HYDA_C_API int hyda_task_outputs(const hyda_model* model, int task);
/* The name of class `index` of a multiclass task: its field text in the training data
 * (the decimal index for a model trained on encoded inputs, without preprocessing); NULL
 * for a bad index or a task of another kind. */
HYDA_C_API const char* hyda_task_class(const hyda_model* model, int task, int index);

/* Values per prediction row, over every task; 0 for NULL. */
HYDA_C_API size_t hyda_output_count(const hyda_model* model);
/* The name of value `column` of a prediction row, as `hyda predict`'s header has it
 * (unquoted): "<task>" for a binary or regression task, "<task>=<class>" per class of a
 * multiclass task. NULL for a bad index. */
HYDA_C_API const char* hyda_output_name(const hyda_model* model, size_t column);

/* The width of an encoded input row: the model's inputs after preprocessing (numeric
 * columns standardized, categorical ones one-hot, missing-value indicators); 0 for NULL. */
HYDA_C_API size_t hyda_input_count(const hyda_model* model);
/* The name of encoded input `index` ("age", "age:missing", "grade=B"); NULL for a bad
 * index or a model trained on encoded inputs (it has no input names). */
HYDA_C_API const char* hyda_input_name(const hyda_model* model, size_t index);

/* Predicts for `rows` encoded input rows x (row-major, rows x hyda_input_count floats),
 * writing rows x hyda_output_count doubles to out (x and out may be NULL if rows is 0).
 * A float64 model widens the floats. Returns 0, or -1 on error (out is then unspecified). */
HYDA_C_API int hyda_predict(const hyda_model* model, const float* x, size_t rows, double* out);
/* Reads a CSV file with the training data's columns (targets may be absent), preprocesses
 * it as in training and predicts every row. Returns rows x hyda_output_count doubles
 * (free them with hyda_free_predictions) and their row count in *rows; NULL on error (a
 * file that cannot be read or lacks a feature column, a model without preprocessing),
 * with *rows set to 0. */
HYDA_C_API double* hyda_predict_csv(const hyda_model* model, const char* csv_path, size_t* rows);
/* Frees what hyda_predict_csv returned (NULL is allowed). */
HYDA_C_API void hyda_free_predictions(double* predictions);

/* The message of the calling thread's last failed call, "" if its last call succeeded.
 * Valid until that thread's next call to this API. */
HYDA_C_API const char* hyda_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* HYDA_H */
