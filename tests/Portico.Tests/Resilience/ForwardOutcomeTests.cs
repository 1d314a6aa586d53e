using Portico.Resilience;
using Yarp.ReverseProxy.Forwarder;

namespace Portico.Tests.Resilience;

public sealed class ForwardOutcomeTests
{
    [Theory]
    [InlineData(ForwarderError.Request, 502, true)]
    [InlineData(ForwarderError.RequestTimedOut, 504, true)]
    [InlineData(ForwarderError.ResponseBodyDestination, 200, true)]
    [InlineData(ForwarderError.None, 500, true)]
    [InlineData(ForwarderError.None, 503, true)]
    [InlineData(ForwarderError.None, 200, false)]
    [InlineData(ForwarderError.None, 404, false)]
    [InlineData(ForwarderError.RequestCanceled, 502, false)]
    [InlineData(ForwarderError.RequestBodyClient, 400, false)]
    public void IsFailure_ErrorAndStatus_CountsOnlyUpstreamFaults(ForwarderError error, int status, bool expected)
    {
        new ForwardOutcome(error, status, false).IsFailure.ShouldBe(expected);
    }

    [Fact]
    public void NotAttempted_NeitherFailureNorTransportFailure()
    {
        ForwardOutcome.NotAttempted.IsFailure.ShouldBeFalse();
        ForwardOutcome.NotAttempted.TransportFailure.ShouldBeFalse();
    }
}
