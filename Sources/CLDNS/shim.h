#ifndef SWAMP_CLDNS_SHIM_H
#define SWAMP_CLDNS_SHIM_H

// ldns's headers use bool without including <stdbool.h> themselves.
#include <stdbool.h>
#include <ldns/ldns.h>

#endif
