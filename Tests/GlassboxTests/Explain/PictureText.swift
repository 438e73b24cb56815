@testable import Glassbox

extension AttributionImage.Picture {
    /// Where `text` is drawn in the picture in PixelFont's default ink at `scale` (its top-left
    /// corner): every glyph pixel inked and every other pixel of its cells not; nil if nowhere.
    func locate(_ text: String, scale: Int = 1) -> (x: Int, y: Int)? {
        let glyphs = text.uppercased().map { PixelFont.glyphs[$0]! }
        func inked(_ x: Int, _ y: Int) -> Bool {
            let i = (y * width + x) * 3
            return rgb[i] == 51 && rgb[i + 1] == 51 && rgb[i + 2] == 51
        }
        let textWidth = PixelFont.width(of: text, scale: scale), textHeight = PixelFont.glyphHeight * scale
        guard width >= textWidth, height >= textHeight else { return nil }
        for top in 0...(height - textHeight) {
            search: for left in 0...(width - textWidth) {
                for (index, rows) in glyphs.enumerated() {
                    for (row, bits) in rows.enumerated() {
                        for column in 0..<PixelFont.glyphWidth {
                            let x = left + (index * PixelFont.advance + column) * scale, y = top + row * scale
                            if inked(x, y) != (bits & (1 << (PixelFont.glyphWidth - 1 - column)) != 0) { continue search }
                        }
                    }
                }
                return (left, top)
            }
        }
        return nil
    }
}
