using Microsoft.Extensions.Time.Testing;
using Portico.Http;

namespace Portico.Tests.Hosting;

public sealed class LogThrottleTests
{
    readonly FakeTimeProvider _time = new();

    [Fact]
    public void TryEnter_RepeatsWithinInterval_AreHeldBackAndCountedInTheNextLine()
    {
        var throttle = new LogThrottle(TimeSpan.FromSeconds(5));

        throttle.TryEnter(_time, out var first).ShouldBeTrue();
        first.ShouldBe(1);
        for (var i = 0; i < 3; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            throttle.TryEnter(_time, out var held).ShouldBeFalse();
            held.ShouldBe(0);
        }
        _time.Advance(TimeSpan.FromSeconds(2));
        throttle.TryEnter(_time, out var next).ShouldBeTrue();

        next.ShouldBe(4); // this one and the three held back
    }

    [Fact]
    public void Reset_NextEventIsWrittenAtOnce()
    {
        var throttle = new LogThrottle(TimeSpan.FromSeconds(5));
        throttle.TryEnter(_time, out _).ShouldBeTrue();
        throttle.TryEnter(_time, out _).ShouldBeFalse();

        throttle.Reset();

        throttle.TryEnter(_time, out var count).ShouldBeTrue();
        count.ShouldBe(1);
    }
}
