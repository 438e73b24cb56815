/// Occlusion sensitivity: slide a window over the image, replace what it covers by the baseline,
/// and record how much the target's output drops (Zeiler & Fergus 2014, "Visualizing and
/// Understanding Convolutional Networks", section 4.2), as Captum's `Occlusion` computes it:
///
///     diff(k)  = f(x) - f(x with window k showing the baseline)
///     pixel(p) = mean of diff(k) over the windows k that cover p
///
/// The first window sits at the top-left corner; windows step by the stride until the image is
/// covered, `ceil((side - window) / stride) + 1` positions per axis, the last ones cut off at the
/// border. The stride may not exceed the window (unless the window spans the axis), so every
/// pixel is covered. A window covers all channels of its pixels.
///
/// The occluded images are no segment masks: they are built on the host in chunks and run
/// through ``InferenceSession/predict(_:batchSize:)``. `pixelMap` is the per-pixel map; `values`
/// are its per-segment **sums** over the request's segmentation (so a 1x1 window on a linear
/// model with a zero baseline gives each segment its exact contribution). `baseValue` is the
/// output for the baseline image, `prediction` for the input; metric `windows` counts positions.
///
/// - Complexity: `windows + 2` model evaluations, e.g. 13 x 13 + 2 = 171 for a 28x28 image with
///   the default 4x4 window and stride 2; O(windows x window area) host work.
public struct Occlusion: Explainer {
    public let name = "occlusion"
    public var windowHeight: Int
    public var windowWidth: Int
    public var strideY: Int
    public var strideX: Int
    /// Occluded images per forward batch: bounds host memory for large images.
    public var chunkSize: Int

    /// A square `window` moved by `stride` in both directions.
    public init(window: Int = 4, stride: Int = 2, chunkSize: Int = 512) {
        self.init(windowHeight: window, windowWidth: window, strideY: stride, strideX: stride, chunkSize: chunkSize)
    }

    public init(windowHeight: Int, windowWidth: Int, strideY: Int, strideX: Int, chunkSize: Int = 512) {
        self.windowHeight = windowHeight
        self.windowWidth = windowWidth
        self.strideY = strideY
        self.strideX = strideX
        self.chunkSize = chunkSize
    }

    /// - Throws: ``GlassboxError/invalidArgument(operation:reason:)`` for a window larger than the
    ///   image or smaller than 1x1, a stride below 1 or above the window, or a chunk size below 1.
    public func explain(_ request: ExplanationRequest) throws -> Explanation {
        let height = request.height, width = request.width
        let channels = request.input.count / (height * width)
        let rows = try Self.positions(side: height, window: windowHeight, stride: strideY, axis: "height")
        let columns = try Self.positions(side: width, window: windowWidth, stride: strideX, axis: "width")
        guard chunkSize >= 1 else { throw GlassboxError.invalidArgument(operation: "occlusion", reason: "chunk size must be at least 1") }
        let windows = rows.flatMap { y in columns.map { x in (y: y, x: x) } }
        let target = request.target, classes = request.session.model.outputCount

        let ((pixelMap, prediction, baseValue), seconds) = try timed { () -> ([Double], Double, Double) in
            let ends = try request.session.predict(request.input + request.singleBaseline(for: "occlusion"), batchSize: 2)
            let prediction = Double(ends[target]), baseValue = Double(ends[classes + target])
            var totals = [Double](repeating: 0, count: height * width)
            var coverage = [Int](repeating: 0, count: height * width)
            var first = 0
            while first < windows.count {
                let chunk = windows[first..<min(first + chunkSize, windows.count)]
                var images: [Float] = []
                images.reserveCapacity(chunk.count * request.input.count)
                for window in chunk {
                    var image = request.input
                    forEachPixel(in: window, height: height, width: width) { pixel in
                        for c in 0..<channels { image[pixel * channels + c] = request.baseline[pixel * channels + c] }
                    }
                    images += image
                }
                let outputs = try request.session.predict(images, batchSize: chunk.count)
                for (k, window) in chunk.enumerated() {
                    let difference = prediction - Double(outputs[k * classes + target])
                    forEachPixel(in: window, height: height, width: width) { pixel in
                        totals[pixel] += difference
                        coverage[pixel] += 1
                    }
                }
                first += chunk.count
            }
            let map = zip(totals, coverage).map { total, count in count > 0 ? total / Double(count) : 0 }
            return (map, prediction, baseValue)
        }
        let values = request.segmentation.sums(ofPixelValues: pixelMap)
        return Explanation(method: name, target: target, baseValue: baseValue, prediction: prediction, values: values,
                           pixelMap: pixelMap, metrics: ["windows": Double(windows.count)], samples: windows.count + 2,
                           seconds: seconds, standardErrors: [Double](repeating: 0, count: values.count))   // exact for its definition
    }

    private func forEachPixel(in window: (y: Int, x: Int), height: Int, width: Int, _ body: (Int) -> Void) {
        for y in window.y..<min(window.y + windowHeight, height) {
            for x in window.x..<min(window.x + windowWidth, width) { body(y * width + x) }
        }
    }

    /// The window's start positions along one axis: 0, stride, ... until the axis is covered
    /// (Captum's `ceil((side - window) / stride) + 1` shifts).
    static func positions(side: Int, window: Int, stride: Int, axis: String) throws -> [Int] {
        guard window >= 1, window <= side else {
            throw GlassboxError.invalidArgument(operation: "occlusion", reason: "window \(axis) \(window) must be between 1 and the image \(axis) \(side)")
        }
        guard stride >= 1, stride <= window || window == side else {
            throw GlassboxError.invalidArgument(operation: "occlusion",
                reason: "stride \(stride) along the \(axis) must be between 1 and the window \(axis) \(window), or some pixels are never occluded")
        }
        let shifts = (side - window + stride - 1) / stride + 1
        return (0..<shifts).map { $0 * stride }
    }
}
