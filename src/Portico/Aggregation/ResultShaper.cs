using System.Text.Json.Nodes;

namespace Portico.Aggregation;

/// Applies a part's field selection (allow-list of top-level members) and renames to its result; a fan-out
/// result is shaped element by element.
internal static class ResultShaper
{
    public static JsonNode? Shape(PlanPart part, JsonNode? value)
    {
        if (part.Select is null && part.Rename.Count == 0) return value;
        if (part.ForEach is not null && value is JsonArray items)
        {
            var list = items.ToList();
            items.Clear();
            return new JsonArray([.. list.Select(item => ShapeOne(part, item))]);
        }
        return ShapeOne(part, value);
    }

    static JsonNode? ShapeOne(PlanPart part, JsonNode? value)
    {
        if (value is not JsonObject source) return value;
        var members = source.ToList();
        source.Clear();
        var shaped = new JsonObject();
        foreach (var (name, member) in members)
        {
            if (part.Select is { } select && !select.Contains(name)) continue;
            shaped[part.Rename.TryGetValue(name, out var renamed) ? renamed : name] = member;
        }
        return shaped;
    }
}
