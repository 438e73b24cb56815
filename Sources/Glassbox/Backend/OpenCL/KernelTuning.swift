/// Which shape of the hot kernels a device gets (see `Kernels/gemm.cl`).
public enum KernelVariant: String, Sendable, CaseIterable {
    /// Register-blocked, float16-vectorised work-items, no local memory or barriers: for PoCL and
    /// other CPU devices, which run a work-group as loops.
    case cpu
    /// Many small work-items with local-memory tiles: for GPUs.
    case gpu
}

/// Tile sizes and launch shapes per variant, passed to the kernels as `-D` build options, the way
/// CLBlast keeps a row of parameters per device class. The `-D` names and defaults live in the
/// kernel files; this table only overrides them.
struct KernelTuning: Equatable {
    var variant: KernelVariant
    /// Rows of C per work-item in `gemm_blocked`.
    var gemmRows = 8
    /// float16 column vectors per work-item in `gemm_blocked`.
    var gemmVectors = 2
    /// Rows and columns of C per work-item in `gemm_blocked_nt`.
    var ntRows = 4
    var ntColumns = 4
    /// Work-group edge of `gemm_tiled`.
    var gemmTile = 16
    /// Output pixels per work-item in `conv2d_forward_blocked`.
    var convPixels = 4
    /// Output positions summed per partial in the conv weight gradient.
    var convReduceChunk = 256
    /// Elements per partial sum in `sum_partial`.
    var sumChunk = 4096
    /// Work-group size of element-wise and row-wise kernels.
    var elementwiseGroup = 64

    static func `for`(_ variant: KernelVariant) -> KernelTuning {
        switch variant {
        case .cpu: return KernelTuning(variant: .cpu)
        case .gpu: return KernelTuning(variant: .gpu, sumChunk: 256, elementwiseGroup: 256)
        }
    }

    var buildOptions: String {
        "-D GEMM_ROWS=\(gemmRows) -D GEMM_VECTORS=\(gemmVectors) -D NT_ROWS=\(ntRows) -D NT_COLUMNS=\(ntColumns) -D GEMM_TILE=\(gemmTile) -D CONV_PIXELS=\(convPixels) -D CONV_REDUCE_CHUNK=\(convReduceChunk)"
    }
}
