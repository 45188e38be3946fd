package dev.chimney.tcp;

/**
 * The live delegated variables of one connection (spec §2.7), mutated only by its engine on its own loop. Field
 * names follow the spec; times are kept internally as absolute nanoseconds of the loop clock ({@code
 * Long.MAX_VALUE} = timer off) and converted to tick deltas by {@link TcpConnection#export()}.
 *
 * <p>Engine-internal helpers that the spec does not name are kept in {@link TcpConnection} itself and each is
 * documented there as derivable or safely resettable on import.
 */
final class DelegatedState {
    TcpState state = TcpState.CLOSED;
    int rcvNxt;
    /** RCV.WND: the window last advertised, measured from RCV.NXT (its right edge never moves left). */
    int rcvWnd;
    int sndUna;
    int sndNxt;
    int sndMax;
    long sndWnd;
    long maxSndWnd;
    int sndWl1;
    /** 8 × SRTT in ticks; 0 = no sample yet. */
    long sRtt8;
    /** 4 × RTTVAR in ticks. */
    long rttVar4;
    int tsRecent;
    /** When TS.Recent was last updated (ns); TsRecentAge is derived from it. */
    long tsRecentNs;
    /** TsTime − ticks(now): our timestamp clock's offset (spec §6.10 delta). */
    long tsOffsetTicks;
    /** When the current segment was first retransmitted (ns); TotalRT is derived from it. */
    long firstRetransmitNs;
    int dupAckCount;
    int sndWndProbeCount;
    int keepAliveProbeCount;
    long keepAliveDeadlineNs = Long.MAX_VALUE;
    int retransmitCount;
    /** Retransmit.TimeoutDelta as a deadline: also the persist, SYN and FIN_WAIT_2 timer (spec §6.1, §6.3, §6.5). */
    long retransmitDeadlineNs = Long.MAX_VALUE;
}
