namespace Portico.Tests; public sealed class Placeholder { [Fact] public void Suggest_Typo_FindsClosest() => Portico.Configuration.Suggest.Closest("user", ["users", "credits"]).ShouldBe("users"); }
