package dev.chimney.tcp;

/** Per-stack TCP counters, indexed by ordinal into a {@code long[]} (stable ids = ordinal). */
public enum TcpCounter {
    SEGMENTS_IN("segments received by the engine"),
    SEGMENTS_OUT("segments transmitted"),
    RETRANSMITTED_SEGMENTS("segments sent again (RTO, fast retransmit, partial ACK)"),
    FAST_RETRANSMITS("fast retransmits (RFC 5681 §3.2)"),
    RTO_EXPIRATIONS("retransmission timeouts (RFC 6298 §5.4)"),
    TAIL_LOSS_PROBES("tail loss probes sent (RFC 8985 §7.3)"),
    RECOVERY_PROBES("probes sent in fast recovery after a PTO without any ACK, instead of waiting for the RTO"),
    LOST_RETRANSMITS("retransmissions of SND.UNA found lost and sent again (RFC 8985 time ordering)"),
    ACTIVE_OPENS("connect() calls"),
    PASSIVE_OPENS("SYNs accepted by a listener"),
    ESTABLISHED("connections that reached ESTABLISHED"),
    RESETS_RECEIVED("acceptable RSTs that closed a connection"),
    RESETS_SENT("RSTs sent"),
    CHALLENGE_ACKS("challenge ACKs sent (RFC 5961 §3.2, §4.2, §5.2)"),
    CHALLENGE_ACKS_SUPPRESSED("challenge ACKs suppressed by the rate limit (RFC 5961 §7)"),
    DROP_NO_CONNECTION("segments for no connection or listener (RFC 9293 §3.10.7.1)"),
    DROP_BAD_HEADER("segments with impossible headers (port 0, SYN+FIN, SYN+RST)"),
    DROP_UNACCEPTABLE_SEQ("segments outside the receive window (RFC 9293 §3.10.7.4 first check)"),
    DROP_PAWS("segments rejected by PAWS (RFC 7323 §5.3)"),
    DROP_MISSING_TIMESTAMP("non-RST segments without TSopt on a timestamp connection (RFC 7323 §3.2)"),
    DROP_BAD_ACK("segments with an unacceptable ACK number"),
    DROP_OUT_OF_ORDER_FULL("out-of-order segments dropped because the range table was full"),
    DROP_SYN_QUEUE_FULL("SYNs dropped because the listener's SYN queue was full"),
    DROP_BACKLOG_FULL("handshakes refused or ignored because the accept backlog was full"),
    DELAYED_ACKS("ACKs sent by the delayed-ACK timer"),
    WINDOW_PROBES("zero-window probes (RFC 9293 §3.8.6.1)"),
    KEEPALIVE_PROBES("keepalive probes (RFC 1122 §4.2.3.6)"),
    TIMEOUTS("connections closed by a timer (TIMED_OUT)"),
    EXPORTS("connections exported"),
    IMPORTS("connections imported"),
    UNACCEPTABLE_ACKS_SUPPRESSED("ACKs for unacceptable segments without data withheld by the per-connection "
            + "interval (TcpConfig.unacceptableAckIntervalNs)"),
    PARKS("connections parked for an offload (engine stopped, buffers kept for the chimney, spec §1.1)"),
    UNPARKS("parked connections taken back after a failed offload (spec §3.1.4)"),
    RESUMES("parked connections resumed from a terminate's delegated state (spec §3.2.10)"),
    PARKED_SEGMENTS("segments for a parked connection handed to its offload data path"),
    OUT_OF_WINDOW_ACKS("ACK fields processed from segments unacceptable only because of the receive window "
            + "(RFC 9293 §3.10.7.4: valid ACKs must be taken even when RCV.WND = 0)"),
    LOSS_EPISODES("loss episodes begun: a fast recovery, an RTO outside recovery, or a single loss a tail loss "
            + "probe repaired (RFC 8985 §7.4.2)"),
    RACK_LOST_SEGMENTS("segments RACK deemed lost (RFC 8985 §6.2 step 5, §6.3)"),
    RACK_REORDER_TIMEOUTS("RACK reordering timer expirations (RFC 8985 §6.2 step 5, §8)"),
    TLP_LOSS_REPAIRS("tail loss probes that repaired a single loss, answered with a window reduction "
            + "(RFC 8985 §7.4.2)"),
    DSACKS_SENT("D-SACK blocks sent for duplicate segments (RFC 2883 §4)"),
    DSACKS_RECEIVED("ACKs received carrying a D-SACK block (RFC 2883 §4)"),
    SPURIOUS_RECOVERIES_UNDONE("loss episodes undone because every retransmission was a D-SACKed duplicate "
            + "(RFC 3708)");

    private final String description;

    TcpCounter(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
