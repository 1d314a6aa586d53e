namespace Portico.Configuration;

/// XML settings of a gateway or route; a route's values win over its gateway's, key by key.
internal sealed record XmlFormatDefinition(string? Root, string? ItemName, bool? FormatQuery, int? MaxDepth, long? MaxBodySize);
