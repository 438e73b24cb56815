/// Which shape of the hot kernels a device gets (see `Kernels/gemm.cl`).
public enum KernelVariant: String, Sendable, CaseIterable, Codable {
    /// Register-blocked, float16-vectorised work-items, no local memory or barriers: for PoCL and
    /// other CPU devices, which run a work-group as loops.
    case cpu
    /// Many small work-items with local-memory tiles: for GPUs.
    case gpu

    /// The variant a device gets unless one is chosen: `gpu` on GPUs, `cpu` elsewhere.
    public static func preferred(for device: Device) -> KernelVariant { device.isGPU ? .gpu : .cpu }
}

/// Tile sizes, vector widths and work-group shapes of the tunable kernels, the way CLBlast keeps a
/// row of parameters per device. Values that shape the kernel code reach it as `-D` build options
/// (the names and defaults live in the kernel files as `#ifndef` blocks, so a kernel built without
/// options is the default); work-group sizes are launch arguments.
///
/// ``defaults(for:)`` is what a device gets without tuning; `glassbox tune` (``KernelTuner``)
/// searches ``TunableParameter/all`` at a model's shapes and stores the winners in a
/// ``TuningCache``, which ``OpenCLBackend`` reads when the device, driver and kernels match.
public struct KernelTuning: Hashable, Sendable, Codable {
    public var variant: KernelVariant
    /// Rows of C per work-item in `gemm_blocked` (`GEMM_ROWS`) for products of fewer than
    /// ``largeRows`` rows (training batches), and for larger ones (inference, perturbation sweeps,
    /// the weight gradient, whose rows are the layer's inputs).
    public var gemmRows = 8
    public var gemmRowsLarge = 3
    /// Where ``gemmRowsLarge`` and ``gemmVectorsLarge`` take over.
    public static let largeRows = 256
    /// The longest inner dimension at which a product with B transposed (`A B^T`) of at least
    /// ``shortInnerMinimumRows`` rows transposes B and runs `gemm_blocked` rather than
    /// `gemm_blocked_nt`'s dot products (CPU variant).
    public static let shortInnerDimension = 512
    public static let shortInnerMinimumRows = 16
    /// Floats of `gemm_panel_nt`'s private panel of B (`PANEL_FLOATS`, 32 KiB: an L1 data cache):
    /// such a product runs there, with no transposed copy of B, when k times its tile's columns fit.
    public static let panelFloats = 8192
    /// Rows of A per work-item of `gemm_panel_nt` (rounded up to its tile's rows): each reuses the
    /// transposed panel of B that many times.
    public static let panelRows = 64
    /// float16 column vectors per work-item in `gemm_blocked` (`GEMM_VECTORS`) for products of
    /// fewer than ``largeRows`` rows, and for larger ones; a launch halves the count until 16 times
    /// it divides the product's columns, so no column block is left to the scalar edge path. With
    /// ``gemmRows`` these set the register tile: 3 rows x 8 vectors (24 float16 accumulators, B
    /// loaded 128 columns at a time) ran the 4096x5408x128 inference product at 200 GFLOP/s where
    /// 8 x 2 ran it at 156 (AMD EPYC, PoCL 3.1).
    public var gemmVectors = 2
    public var gemmVectorsLarge = 8
    /// Work-items per work-group along M in `gemm_blocked`.
    public var gemmGroup = 4
    /// Rows and columns of C per work-item in `gemm_blocked_nt` (`NT_ROWS`, `NT_COLUMNS`).
    public var ntRows = 4
    public var ntColumns = 4
    /// Work-group edge of `gemm_tiled` (`GEMM_TILE`).
    public var gemmTile = 16
    /// Output pixels per work-item in `conv2d_forward_blocked` (`CONV_PIXELS`).
    public var convPixels = 4
    /// Work-group size of the shape-specialised convolution.
    public var convGroup = 16
    /// 16-channel blocks of output channels per work-item of the shape-specialised convolution
    /// (`S_BLOCKS`; where the channels do not divide, 1): each input value loads once for all.
    public var convBlocks = 2
    /// Output positions along a row per work-item of the shape-specialised convolution (`S_RUN`,
    /// at most the row): the run shares index arithmetic and the weights held in registers.
    public var convRun = 16
    /// Output positions summed per partial in the conv weight gradient (`CONV_REDUCE_CHUNK`).
    public var convReduceChunk = 256
    /// Work-items per work-group along the chunks of `conv2d_backward_kernel_partial`.
    public var convBackwardGroup = 4
    /// Kernel-gradient rows (kernel taps, and the bias row) per work-item of
    /// `conv2d_backward_kernel_partial` (`CONV_GRAD_ROWS`): each position's output gradient is
    /// loaded once for all of them.
    public var convGradRows = 10
    /// Input pixels per work-item in `conv2d_backward_input_rows` (`CONV_INPUT_PIXELS`), the CPU
    /// variant's input gradient at stride 1.
    public var convInputPixels = 4
    /// Work-group size of the max-pooling kernels.
    public var poolGroup = 4
    /// Work-group size of `expand_masks` (the perturbation sweep's batch builder).
    public var perturbGroup = 16
    /// Masks per work-group of `segment_table_sweep` (and parts per work-group of
    /// `segment_table_parts`), and float16 vectors of units per work-item of both (`SWEEP_VECTORS`).
    public var tableGroup = 16
    public var tableVectors = 4
    /// 1: a Dense layer's backward pass (linear or relu) runs as two GEMM launches, the relu
    /// derivative and the bias gradient fused into the weight-gradient GEMM (`GEMM_FUSED`); 0: as
    /// four ops (relu backward, dW, column sums, dX). On the CPU devices measured so far the
    /// fused weight-gradient GEMM, which masks dY in every row block, costs what the two saved
    /// launches save, so the CPU variant starts unfused and `glassbox tune` decides.
    public var denseBackwardFused = 0
    /// Elements per partial sum in `sum_partial`.
    public var sumChunk = 4096
    /// Work-group size of element-wise and row-wise kernels.
    public var elementwiseGroup = 64

    /// The untuned parameters of a variant.
    public static func defaults(for variant: KernelVariant) -> KernelTuning {
        switch variant {
        case .cpu:
            return KernelTuning(variant: .cpu)
        case .gpu:
            return KernelTuning(variant: .gpu, convGroup: 64, convBlocks: 1, convRun: 1, convBackwardGroup: 32, convGradRows: 1, poolGroup: 16, perturbGroup: 64,
                                tableGroup: 16, tableVectors: 1, denseBackwardFused: 1, sumChunk: 256, elementwiseGroup: 256)
        }
    }

    /// The `-D` options of the kernel-code parameters that `file` (a `Kernels/` name without
    /// `.cl`) reads, so that tuning one file's parameters rebuilds no other file.
    func buildOptions(for file: String) -> String {
        switch file {
        case "gemm":
            // GEMM_ROWS and GEMM_VECTORS come with each gemm_blocked launch (one program per tile in use).
            return "-D NT_ROWS=\(ntRows) -D NT_COLUMNS=\(ntColumns) -D GEMM_TILE=\(gemmTile) -D PANEL_FLOATS=\(KernelTuning.panelFloats)"
        case "conv2d":
            return "-D CONV_PIXELS=\(convPixels) -D CONV_REDUCE_CHUNK=\(convReduceChunk) -D CONV_GRAD_ROWS=\(convGradRows) -D CONV_INPUT_PIXELS=\(convInputPixels)"
        case "perturb":
            return "-D SWEEP_VECTORS=\(tableVectors)"
        default:
            return ""
        }
    }

    /// Checks every value against its parameter's allowed range, so that a hand-edited or damaged
    /// cache cannot make a kernel that overflows its registers or a launch no device accepts.
    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` naming the parameter.
    public func validate() throws {
        for parameter in TunableParameter.all {
            let value = self[keyPath: parameter.keyPath]
            guard parameter.allowed.contains(value) else {
                throw GlassboxError.invalidArgument(operation: "kernel tuning",
                    reason: "\(parameter.name) = \(value) is outside \(parameter.allowed.lowerBound)...\(parameter.allowed.upperBound)")
            }
        }
    }

    /// The parameters that differ from the variant's defaults, as `name=value`.
    public var differencesFromDefaults: [String] {
        let defaults = KernelTuning.defaults(for: variant)
        return TunableParameter.all.compactMap { parameter in
            let value = self[keyPath: parameter.keyPath]
            return value == defaults[keyPath: parameter.keyPath] ? nil : "\(parameter.name)=\(value)"
        }
    }
}

extension KernelTuning {
    /// Reads a stored row: the variant, then each ``TunableParameter`` by name; a parameter the
    /// row lacks (a cache written before it existed) keeps the variant's default, so such a file
    /// reads as tuned for other kernels (its kernels digest differs) rather than as damaged.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: ParameterKey.self)
        self = .defaults(for: try container.decode(KernelVariant.self, forKey: ParameterKey(stringValue: "variant")))
        for parameter in TunableParameter.all {
            if let value = try container.decodeIfPresent(Int.self, forKey: ParameterKey(stringValue: parameter.name)) {
                self[keyPath: parameter.keyPath] = value
            }
        }
    }

    private struct ParameterKey: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }
}

/// One searchable parameter of ``KernelTuning``: its name (the property's, as in the cache file), the kernel
/// group it belongs to, the values the tuner tries per variant, and the range a stored value
/// must fall in.
public struct TunableParameter: Sendable {
    public let name: String
    public let group: TuningGroup
    public let keyPath: WritableKeyPath<KernelTuning, Int> & Sendable
    /// The values the search tries, per variant (none: the variant does not use the parameter).
    let candidates: [KernelVariant: [Int]]
    public let allowed: ClosedRange<Int>

    public func candidates(for variant: KernelVariant) -> [Int] { candidates[variant] ?? [] }

    /// Every tunable parameter, in the order the tuner searches them.
    public static let all: [TunableParameter] = [
        TunableParameter(name: "gemmRows", group: .gemm, keyPath: \.gemmRows,
                         candidates: [.cpu: [2, 4, 6, 8, 12]], allowed: 1...16),
        TunableParameter(name: "gemmRowsLarge", group: .gemm, keyPath: \.gemmRowsLarge,
                         candidates: [.cpu: [2, 3, 4, 6, 8, 12]], allowed: 1...16),
        TunableParameter(name: "gemmVectors", group: .gemm, keyPath: \.gemmVectors,
                         candidates: [.cpu: [1, 2, 4, 8]], allowed: 1...8),
        TunableParameter(name: "gemmVectorsLarge", group: .gemm, keyPath: \.gemmVectorsLarge,
                         candidates: [.cpu: [1, 2, 4, 8]], allowed: 1...8),
        TunableParameter(name: "gemmGroup", group: .gemm, keyPath: \.gemmGroup,
                         candidates: [.cpu: [1, 4, 16]], allowed: 1...64),
        TunableParameter(name: "gemmTile", group: .gemm, keyPath: \.gemmTile,
                         candidates: [.gpu: [8, 16, 32]], allowed: 4...32),
        TunableParameter(name: "ntRows", group: .gemmTransposed, keyPath: \.ntRows,
                         candidates: [.cpu: [1, 2, 4, 8]], allowed: 1...8),
        TunableParameter(name: "ntColumns", group: .gemmTransposed, keyPath: \.ntColumns,
                         candidates: [.cpu: [1, 2, 4, 8]], allowed: 1...8),
        TunableParameter(name: "denseBackwardFused", group: .denseBackward, keyPath: \.denseBackwardFused,
                         candidates: [.cpu: [0, 1], .gpu: [0, 1]], allowed: 0...1),
        TunableParameter(name: "convPixels", group: .convForward, keyPath: \.convPixels,
                         candidates: [.cpu: [1, 2, 4, 7, 8]], allowed: 1...16),
        TunableParameter(name: "convGroup", group: .convForward, keyPath: \.convGroup,
                         candidates: [.cpu: [4, 16, 64], .gpu: [32, 64, 128, 256]],
                         allowed: 1...1024),
        TunableParameter(name: "convBlocks", group: .convForward, keyPath: \.convBlocks,
                         candidates: [.cpu: [1, 2, 4], .gpu: [1, 2]], allowed: 1...4),
        TunableParameter(name: "convRun", group: .convForward, keyPath: \.convRun,
                         candidates: [.cpu: [1, 4, 16], .gpu: [1, 2]], allowed: 1...64),
        TunableParameter(name: "convReduceChunk", group: .convBackward, keyPath: \.convReduceChunk,
                         candidates: [.cpu: [64, 128, 256, 512, 1024], .gpu: [64, 128, 256, 512]], allowed: 16...8192),
        TunableParameter(name: "convBackwardGroup", group: .convBackward, keyPath: \.convBackwardGroup,
                         candidates: [.cpu: [1, 4, 16], .gpu: [16, 32, 64]], allowed: 1...256),
        TunableParameter(name: "convGradRows", group: .convBackward, keyPath: \.convGradRows,
                         candidates: [.cpu: [1, 4, 10, 16], .gpu: [1, 2, 4]], allowed: 1...16),
        TunableParameter(name: "convInputPixels", group: .convBackward, keyPath: \.convInputPixels,
                         candidates: [.cpu: [1, 2, 4, 8]], allowed: 1...8),
        TunableParameter(name: "poolGroup", group: .pool, keyPath: \.poolGroup,
                         candidates: [.cpu: [1, 4, 16, 64], .gpu: [16, 32, 64]], allowed: 1...256),
        TunableParameter(name: "perturbGroup", group: .perturbation, keyPath: \.perturbGroup,
                         candidates: [.cpu: [16, 64, 256], .gpu: [64, 128, 256]], allowed: 1...1024),
        TunableParameter(name: "tableGroup", group: .segmentTable, keyPath: \.tableGroup,
                         candidates: [.cpu: [1, 4, 16, 64], .gpu: [4, 16, 64]], allowed: 1...256),
        TunableParameter(name: "tableVectors", group: .segmentTable, keyPath: \.tableVectors,
                         candidates: [.cpu: [1, 2, 4, 8], .gpu: [1, 2, 4]], allowed: 1...8),
        TunableParameter(name: "elementwiseGroup", group: .elementwise, keyPath: \.elementwiseGroup,
                         candidates: [.cpu: [16, 64, 256], .gpu: [64, 128, 256]], allowed: 1...1024),
        TunableParameter(name: "sumChunk", group: .elementwise, keyPath: \.sumChunk,
                         candidates: [.cpu: [1024, 4096, 16384], .gpu: [128, 256, 1024]],
                         allowed: 16...65536),
    ]
}

/// The kernels that are timed together when their parameters are searched.
public enum TuningGroup: String, Sendable, CaseIterable, Codable {
    /// `gemm_blocked` (CPU) or `gemm_tiled` (GPU): forward passes and the weight gradient.
    case gemm
    /// `gemm_blocked_nt` (CPU): the input gradient, C = A B^T.
    case gemmTransposed = "gemm_nt"
    /// A Dense layer's whole backward pass: fused into two GEMMs or as separate ops.
    case denseBackward = "dense_backward"
    /// Convolution forward, shape-specialised and general.
    case convForward = "conv_forward"
    /// The convolution weight gradient.
    case convBackward = "conv_backward"
    /// Max pooling forward and backward.
    case pool
    /// `expand_masks`: building a batch of perturbed inputs.
    case perturbation
    /// `segment_table_sweep`: a first layer evaluated from per-segment tables.
    case segmentTable = "segment_table"
    /// Element-wise kernels and full sums.
    case elementwise
}
