#include <stdio.h>
#include "cformat.h"

int swamp_format_double(char *out, size_t size, const char *format, double value) {
    return snprintf(out, size, format, value);
}

int swamp_format_unsigned(char *out, size_t size, const char *format, unsigned int value) {
    return snprintf(out, size, format, value);
}
