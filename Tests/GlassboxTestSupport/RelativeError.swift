/// `|out - ref| / |ref|` in the Euclidean norm, computed in Double. When the reference is all zeros
/// the absolute norm `|out|` is returned instead. Any NaN or infinity in `out` where `ref` is finite
/// makes the result infinite, so an unwritten (NaN-poisoned) element always fails a tolerance.
public func relativeError(_ out: [Float], _ ref: [Float]) -> Double {
    precondition(out.count == ref.count, "relativeError: \(out.count) vs \(ref.count) elements")
    var difference = 0.0, reference = 0.0
    for (o, r) in zip(out, ref) {
        if !o.isFinite && r.isFinite { return .infinity }
        if o.isNaN && r.isNaN { continue }
        let d = Double(o) - Double(r)
        difference += d * d
        reference += Double(r) * Double(r)
    }
    return reference == 0 ? difference.squareRoot() : (difference / reference).squareRoot()
}
