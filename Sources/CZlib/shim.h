#ifndef GLASSBOX_CZLIB_SHIM_H
#define GLASSBOX_CZLIB_SHIM_H
#include <zlib.h>
#endif
