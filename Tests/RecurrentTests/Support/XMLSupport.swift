import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Parsing helpers for the tests: every document must be well-formed XML.
enum XML {
    /// Parses `text` as XML, throwing when it is not well-formed.
    static func parse(_ text: String) throws -> XMLDocument {
        try XMLDocument(xmlString: text, options: [])
    }

    /// All elements carrying attribute `name`, in document order.
    static func elements(in document: XMLDocument, withAttribute name: String) throws -> [XMLElement] {
        try document.nodes(forXPath: "//*[@\(name)]").compactMap { $0 as? XMLElement }
    }

    /// All elements whose local name is `name`, in document order (namespace-agnostic).
    static func elements(in document: XMLDocument, named name: String) throws -> [XMLElement] {
        try document.nodes(forXPath: "//*[local-name()='\(name)']").compactMap { $0 as? XMLElement }
    }

    /// The value of attribute `name` of `element`, or `nil`.
    static func attribute(_ element: XMLElement, _ name: String) -> String? {
        // `attribute(forName:)` misses attributes of namespaced elements on Linux; scan instead.
        element.attributes?.first { $0.name == name }?.stringValue
    }
}
