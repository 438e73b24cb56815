#ifndef GLASSBOX_COPENCL_SHIM_H
#define GLASSBOX_COPENCL_SHIM_H
// OpenCL 1.2 is the common floor of PoCL and NVIDIA; newer calls are not used.
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#endif
