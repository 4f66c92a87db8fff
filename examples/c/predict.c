/* predict MODEL CSV: a model's predictions for every row of a CSV file, through the C API
 * (hyda.h), printed in the layout of `hyda predict --model MODEL --data CSV`: the header
 * "row,<one column per value>", then per row its index and the values. Each value is
 * printed with %.17g, which reads back as the same double: hyda predict's shortest text
 * and this one parse to equal numbers. */
#include <stdio.h>
#include <string.h>

#include "hyda.h"

/* A header field as hyda predict writes it: quoted (with doubled quotes) if it holds a
 * comma, quote or line break, starts or ends with a space, or starts with a byte-order mark. */
static void print_field(const char* field) {
    const size_t n = strlen(field);
    const int quote = strpbrk(field, ",\"\r\n") != NULL || (n > 0 && (field[0] == ' ' || field[n - 1] == ' ')) ||
                      strncmp(field, "\xEF\xBB\xBF", 3) == 0;
    if (!quote) {
        fputs(field, stdout);
        return;
    }
    putchar('"');
    for (const char* c = field; *c; ++c) {
        if (*c == '"') putchar('"');
        putchar(*c);
    }
    putchar('"');
}

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL CSV\n", argv[0]);
        return 2;
    }
    hyda_model* model = hyda_load(argv[1]);
    if (!model) {
        fprintf(stderr, "predict: %s\n", hyda_last_error());
        return 1;
    }
    size_t rows = 0;
    double* predictions = hyda_predict_csv(model, argv[2], &rows);
    if (!predictions) {
        fprintf(stderr, "predict: %s\n", hyda_last_error());
        hyda_free(model);
        return 1;
    }
    const size_t width = hyda_output_count(model);
    fputs("row", stdout);
    for (size_t j = 0; j < width; ++j) {
        putchar(',');
        print_field(hyda_output_name(model, j));
    }
    putchar('\n');
    for (size_t i = 0; i < rows; ++i) {
        printf("%zu", i);
        for (size_t j = 0; j < width; ++j) printf(",%.17g", predictions[i * width + j]);
        putchar('\n');
    }
    hyda_free_predictions(predictions);
    hyda_free(model);
    return ferror(stdout) ? 1 : 0;
}
