import Foundation

/// Accumulates SVG markup line by line, escaping every attribute value and text node.
struct SVGWriter {
    /// An ordered list of attribute names and (unescaped) values.
    typealias Attributes = [(String, String)]

    private(set) var text = ""

    /// Formats a coordinate with the fixed routine.
    static func num(_ value: Double) -> String {
        ChartFormat.coordinate(value)
    }

    /// Appends attributes as ` name="value"` pairs, values escaped.
    private mutating func append(_ attributes: Attributes) {
        for (name, value) in attributes {
            text += " "
            text += name
            text += "=\""
            text += ChartFormat.escape(value)
            text += "\""
        }
    }

    /// Appends raw markup followed by a newline.
    mutating func raw(_ markup: String) {
        text += markup
        text += "\n"
    }

    /// Appends `<name attrs/>` or `<name attrs>content</name>` with `content` escaped.
    mutating func element(_ name: String, _ attributes: Attributes, content: String? = nil) {
        text += "<"
        text += name
        append(attributes)
        if let content {
            text += ">"
            text += ChartFormat.escape(content)
            text += "</"
            text += name
            text += ">\n"
        } else {
            text += "/>\n"
        }
    }

    /// Opens an element that will hold children; close it with `close(_:)`.
    mutating func open(_ name: String, _ attributes: Attributes) {
        text += "<"
        text += name
        append(attributes)
        text += ">\n"
    }

    /// Closes an element opened with `open(_:_:)`.
    mutating func close(_ name: String) {
        raw("</" + name + ">")
    }

    /// Starts a standalone SVG document with a white background and an accessible title.
    mutating func beginDocument(width: Double, height: Double, title: String) {
        let w = SVGWriter.num(width), h = SVGWriter.num(height)
        open("svg", [("xmlns", "http://www.w3.org/2000/svg"), ("width", w), ("height", h),
                     ("viewBox", "0 0 \(w) \(h)"), ("font-family", "sans-serif"), ("role", "img")])
        element("title", [], content: title)
        element("rect", [("x", "0"), ("y", "0"), ("width", w), ("height", h), ("fill", "#FFFFFF")])
    }

    /// Ends the SVG document.
    mutating func endDocument() {
        close("svg")
    }

    /// Appends a `<text>` element at (`x`, `y`).
    mutating func label(_ content: String, x: Double, y: Double, size: Double,
                        anchor: String = "start", fill: String = "#333333",
                        extra: Attributes = []) {
        var attributes: Attributes = [("x", SVGWriter.num(x)), ("y", SVGWriter.num(y)),
                                      ("font-size", SVGWriter.num(size)), ("fill", fill)]
        if anchor != "start" { attributes.append(("text-anchor", anchor)) }
        element("text", attributes + extra, content: content)
    }

    /// Appends a straight `<line>` from (`x1`, `y1`) to (`x2`, `y2`).
    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double,
                       stroke: String, width: Double = 1, extra: Attributes = []) {
        element("line", [("x1", SVGWriter.num(x1)), ("y1", SVGWriter.num(y1)),
                         ("x2", SVGWriter.num(x2)), ("y2", SVGWriter.num(y2)),
                         ("stroke", stroke), ("stroke-width", SVGWriter.num(width))] + extra)
    }

    /// Appends the chart title and optional subtitle at the top left.
    /// Returns the y coordinate below them.
    mutating func heading(title: String, subtitle: String?) -> Double {
        label(title, x: 12, y: 24, size: 16, fill: "#111111", extra: [("font-weight", "bold")])
        guard let subtitle, !subtitle.isEmpty else { return 36 }
        label(subtitle, x: 12, y: 42, size: 12, fill: "#555555")
        return 54
    }
}
