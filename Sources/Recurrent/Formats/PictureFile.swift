import Foundation

/// Writing a picture (an SVG or HTML document from Charts) to a file.
public enum PictureFile {
    /// Writes `document` as UTF-8, atomically (readers never see half a picture).
    /// - Throws: `RecurrentError` (`.io`) naming the path when it cannot be written.
    public static func write(_ document: String, to url: URL) throws {
        try FileAccess.writeAtomically(Data(document.utf8), to: url)
    }
}
