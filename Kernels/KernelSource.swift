/// The OpenCL C sources of `Kernels/*.cl`, compiled into the library by the
/// `EmbedKernelsPlugin` build tool so that no file is read at run time.
public enum KernelSource {}
