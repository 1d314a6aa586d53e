namespace Portico.Fuzz;

/// A property the code under test broke: thrown out of a harness so the fuzzer records the input as a crash.
public sealed class FuzzPropertyException(string message) : Exception(message);

static class FuzzAssert
{
    public static void True(bool condition, string message)
    {
        if (!condition) throw new FuzzPropertyException(message);
    }
}
