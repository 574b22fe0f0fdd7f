#ifndef SWAMP_CFORMAT_H
#define SWAMP_CFORMAT_H

#include <stddef.h>

/* snprintf with one argument of a fixed type. Swift reaches C's variadic
   formatting only through withVaList, whose CVarArg existentials cost a
   dynamic protocol lookup per argument (about as much as a short rule
   search); these take the value as it is. */
int swamp_format_double(char *out, size_t size, const char *format, double value);
int swamp_format_unsigned(char *out, size_t size, const char *format, unsigned int value);

#endif
