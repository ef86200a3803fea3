import Foundation

/// Text whose characters are shaded by one value each, e.g. a hidden unit's activation
/// at every input character, rendered as a standalone HTML page.
///
/// The page shows the text in a monospace block, one `<span>` per character with a
/// background colour for the value; a `<select>` switches between tracks (units) and a
/// small inline script recolours the spans from a JSON array embedded in the page.
/// Without script the page still shows the first track. No external resources are used.
public struct ShadedText: Sendable {
    /// One selectable series of values, one per character (e.g. one hidden unit).
    public struct Track: Sendable, Equatable {
        /// Name shown in the selector.
        public var name: String
        /// One value per character; missing or non-finite values get a grey background.
        public var values: [Double]

        /// Creates a track called `name`.
        public init(name: String, values: [Double]) {
            self.name = name
            self.values = values
        }
    }

    /// The characters to show (newlines are preserved).
    public var characters: [Character]
    /// Default values, one per character, used by `html()`.
    public var values: [Double]
    /// Value → background colour mapping, resolved separately for each track.
    public var colorScale: ColorScale
    /// Title used by `html()`.
    public var title: String

    /// Creates shaded text from characters.
    public init(characters: [Character], values: [Double] = [], colorScale: ColorScale = .diverging(),
                title: String = "") {
        self.characters = characters
        self.values = values
        self.colorScale = colorScale
        self.title = title
    }

    /// Creates shaded text from a string (one value per `Character`).
    public init(text: String, values: [Double] = [], colorScale: ColorScale = .diverging(), title: String = "") {
        self.init(characters: Array(text), values: values, colorScale: colorScale, title: title)
    }

    /// The colour scale resolved against `track`'s values for the characters shown.
    public func resolvedScale(for track: Track) -> ResolvedColorScale {
        colorScale.resolved(for: Array(track.values.prefix(characters.count)))
    }

    /// The background colour (`#RRGGBB`) of every character for `track`:
    /// `ChartPalette.missing` where the track has no finite value.
    public func backgroundColors(for track: Track) -> [String] {
        let scale = resolvedScale(for: track)
        return characters.indices.map { index in
            index < track.values.count ? scale.color(for: track.values[index]) : ChartPalette.missing
        }
    }

    /// A page with the default `values` as the only track and `title` as its title.
    public func html() -> String {
        html(title: title, tracks: [])
    }

    /// A standalone HTML page showing the text shaded by the selected track.
    ///
    /// With no tracks the default `values` form a single track called "value".
    /// `notes`, when given, are listed under the title (for example what each track follows).
    public func html(title: String, tracks: [Track], notes: [String] = []) -> String {
        let tracks = tracks.isEmpty ? [Track(name: "value", values: values)] : tracks
        let first = tracks[0]
        let firstScale = resolvedScale(for: first)
        var page = ShadedText.head(title: title)
        page += "<h1>" + ChartFormat.escape(title) + "</h1>\n"
        if !notes.isEmpty {
            page += "<ul class=\"notes\">" + notes.map { "<li>" + ChartFormat.escape($0) + "</li>" }.joined() + "</ul>\n"
        }
        page += selector(tracks)
        page += ShadedText.legend(firstScale)
        page += textBlock(first)
        page += "<script>\nvar shadedTracks = [" + tracks.map(trackJSON).joined(separator: ",\n")
            + "];\n" + ShadedText.script + "</script>\n</body>\n</html>\n"
        return page
    }

    // MARK: - Parts

    static func head(title: String) -> String {
        let css = [
            "body{font-family:sans-serif;margin:16px;color:#111111;background:#FFFFFF}",
            "h1{font-size:18px;margin:0 0 8px 0}",
            ".controls{margin:8px 0;font-size:13px}",
            ".legend{display:flex;align-items:center;gap:8px;margin:8px 0;font-size:12px}",
            ".bar{display:inline-block;width:240px;height:12px;border:1px solid #999999}",
            ".text{font-family:monospace;font-size:14px;line-height:1.6;white-space:pre-wrap;"
                + "word-break:break-all;border:1px solid #DDDDDD;padding:8px;margin:0}",
            ".empty{color:#777777;font-style:italic}",
            ".notes{font-size:13px;margin:4px 0 8px 0}",
        ].joined(separator: "\n")
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>"
            + ChartFormat.escape(title) + "</title>\n<style>\n" + css + "\n</style>\n</head>\n<body>\n"
    }

    func selector(_ tracks: [Track]) -> String {
        var html = "<div class=\"controls\"><label for=\"track\">Track </label><select id=\"track\">"
        for (index, track) in tracks.enumerated() {
            let selected = index == 0 ? " selected=\"selected\"" : ""
            html += "<option value=\"\(index)\"\(selected)>" + ChartFormat.escape(track.name) + "</option>"
        }
        return html + "</select></div>\n"
    }

    static func legend(_ scale: ResolvedColorScale) -> String {
        let stops = (0...10).map { scale.color(for: scale.value(at: Double($0) / 10)) }
        let gradient = "background:linear-gradient(to right," + stops.joined(separator: ",") + ")"
        return "<div class=\"legend\"><span id=\"legend-lo\">" + ChartFormat.escape(ChartFormat.compact(scale.lo))
            + "</span><span class=\"bar\" style=\"" + gradient + "\"></span><span id=\"legend-hi\">"
            + ChartFormat.escape(ChartFormat.compact(scale.hi)) + "</span></div>\n"
    }

    func textBlock(_ track: Track) -> String {
        guard !characters.isEmpty else {
            return "<pre class=\"text empty\" id=\"text\">no data</pre>\n"
        }
        let colors = backgroundColors(for: track)
        var html = "<pre class=\"text\" id=\"text\">"
        for (index, character) in characters.enumerated() {
            let fill = colors[index]
            let value = index < track.values.count ? track.values[index] : .nan
            html += "<span style=\"background:" + fill + ";color:" + ChartPalette.textColor(on: fill)
                + "\" title=\"" + ChartFormat.compact(value) + "\">"
                + ChartFormat.escape(String(character)) + "</span>"
        }
        return html + "</pre>\n"
    }

    func trackJSON(_ track: Track) -> String {
        let scale = resolvedScale(for: track)
        let colors = backgroundColors(for: track)
        let ink = colors.map { ChartPalette.textColor(on: $0) == "#FFFFFF" ? "1" : "0" }.joined()
        let shown = characters.indices.map { $0 < track.values.count ? track.values[$0] : .nan }
        let fields = [
            "\"name\":" + ChartFormat.jsonString(track.name),
            "\"lo\":" + ChartFormat.jsonString(ChartFormat.compact(scale.lo)),
            "\"hi\":" + ChartFormat.jsonString(ChartFormat.compact(scale.hi)),
            "\"bg\":[" + colors.map(ChartFormat.jsonString).joined(separator: ",") + "]",
            "\"fg\":" + ChartFormat.jsonString(ink),
            "\"v\":[" + shown.map { ChartFormat.jsonString(ChartFormat.compact($0)) }.joined(separator: ",") + "]",
        ]
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// Recolours the spans when the selection changes. Written without `<`, `>` or `&`
    /// so that the page stays well-formed XML as well as HTML.
    static let script = """
        (function () {
          var select = document.getElementById("track");
          var block = document.getElementById("text");
          if (!select || !block) { return; }
          var spans = block.getElementsByTagName("span");
          function show(index) {
            var track = shadedTracks[index];
            if (!track) { return; }
            Array.prototype.forEach.call(spans, function (span, i) {
              span.style.background = track.bg[i];
              span.style.color = track.fg.charAt(i) === "1" ? "#FFFFFF" : "#000000";
              span.title = track.v[i];
            });
            document.getElementById("legend-lo").textContent = track.lo;
            document.getElementById("legend-hi").textContent = track.hi;
          }
          select.addEventListener("change", function () { show(Number(select.value)); });
        })();

        """
}
