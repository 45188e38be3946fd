package dev.chimney.chimney;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.chimney.tcp.TcpConfig;
import org.junit.jupiter.api.Test;

/** The parameters a host sets on its target follow its own TCP settings (spec §7.2, R-CAP-2). */
class OffloadParametersTest {

    @Test
    void matchingTakesTheHostsTickDelayedAckAndRetransmissionLimit() {
        OffloadParameters p = OffloadParameters.matching(TcpConfig.builder().build());
        assertEquals(1000, p.ticksPerSecond());
        assertEquals(40, p.tcpDelayedAckTicks(), "the engine's 40 ms delayed ACK, not the Windows 200 ms");
        assertEquals(15, p.tcpMaximumRetransmissions());
        assertEquals(OffloadParameters.DEFAULTS.tcpPushTicks(), p.tcpPushTicks());

        OffloadParameters coarse = OffloadParameters.matching(TcpConfig.builder().ticksPerSecond(100)
                .delayedAckNs(25_000_000L).maxRetransmissions(4).build());
        assertEquals(100, coarse.ticksPerSecond());
        assertEquals(3, coarse.tcpDelayedAckTicks(), "25 ms rounded up to whole 10 ms ticks");
        assertEquals(4, coarse.tcpMaximumRetransmissions());
        assertEquals(50, coarse.tcpPushTicks(), "500 ms in 10 ms ticks");
        assertEquals(3000, coarse.nceStaleTicks(), "30 s in 10 ms ticks");
    }
}
