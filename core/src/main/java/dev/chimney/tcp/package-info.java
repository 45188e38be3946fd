/**
 * The TCP engine: one connection code path for the host stack and for a software offload target.
 *
 * <h2>Shape</h2>
 * <ul>
 *   <li>{@link dev.chimney.tcp.TcpStack} — per event loop: 4-tuple demultiplexing (hash map), listeners by (address,
 *       port), RST for segments to nobody (RFC 9293 §3.10.7.1), ephemeral ports (RFC 6056), counters
 *       ({@link dev.chimney.tcp.TcpCounter}). Input arrives through {@code onSegment(nowNs, src, dst, segment)};
 *       output leaves through {@link dev.chimney.tcp.TcpOutput}.</li>
 *   <li>{@link dev.chimney.tcp.TcpSegment} — a reusable mutable segment (header, parsed options, payload window
 *       into a {@code MemorySegment}); the IP layer fills one per packet without allocating.</li>
 *   <li>{@link dev.chimney.tcp.TcpConnection} — the TCB: RFC 9293 §3.10.7 input as an explicit switch per state,
 *       an output pass, one timer-wheel entry armed for the earliest deadline, and the application API (write,
 *       read, shutdownOutput, close, abort, readiness callbacks).</li>
 *   <li>{@link dev.chimney.tcp.TcpListener} — bounded SYN queue and accept backlog.</li>
 * </ul>
 *
 * <h2>State grouping and moving connections</h2>
 * Every per-connection variable is one of the chimney spec's classes (spec §2.5–2.7):
 * {@link dev.chimney.tcp.TcpConst} (negotiated once), {@link dev.chimney.tcp.TcpCached} (host-owned, replaced by
 * {@code updateCached}) and the delegated variables (exported as {@link dev.chimney.tcp.TcpDelegated}, times in
 * ticks, −1 = timer off, SRTT×8 and RTTVAR×4). {@link dev.chimney.tcp.TcpConnection#export()} and
 * {@link dev.chimney.tcp.TcpConnection#importFrom} move a live connection between engines, loops and clock bases;
 * the engine-internal helpers that are rebuilt on import, and why that is safe, are listed on
 * {@link dev.chimney.tcp.TcpConnection}. For the chimney host, {@link dev.chimney.tcp.TcpConnection#park} stops a
 * connection's engine while the application keeps its object (the spec §1.1 logical switch; the offload manager
 * implements {@link dev.chimney.tcp.TcpConnection.DataPath}), and {@link dev.chimney.tcp.TcpConnection#resume}
 * restarts it from a terminate's delegated state ({@link dev.chimney.tcp.TcpConnection#unpark()} after a failed
 * offload).
 *
 * <h2>Behaviour</h2>
 * All eleven states with simultaneous open and close, half-close and RST handling; MSS, window scaling,
 * timestamps with PAWS (RFC 7323), SACK and D-SACK generation (RFC 2018, RFC 2883); loss detection by RACK-TLP
 * (RFC 8985: per-segment transmit times, a reordering window adapted by D-SACK, tail loss probes) with PRR (RFC 6937)
 * and D-SACK undo of spurious reductions (RFC 3708) for SACK connections — or, by {@link
 * dev.chimney.tcp.TcpConfig.LossDetection}, RFC 6675 recovery through {@link dev.chimney.tcp.SackScoreboard} — and
 * NewReno (RFC 6582) without SACK; the loss-recovery state moves with the connection ({@link
 * dev.chimney.tcp.LossRecoveryState}); RTO per RFC 6298 with Karn's rule and backoff; MaxRT (spec §6.1); delayed ACK,
 * Nagle, SWS avoidance on both sides, persist with the spec §6.3 rounds, keepalive, FIN_WAIT_2 and TIME_WAIT
 * timers; RFC 5961 challenge ACKs with a stack-wide rate limit; ICMP hooks (PMTU decrease re-segments in-flight data,
 * soft/hard errors).
 *
 * <p>Not implemented: urgent data (the pointer is ignored and the bytes are delivered inline, RFC 6093 §5), the
 * spec's offload-specific RFC 5961 keepalive arming (§6.11.1), ECN, TCP Fast Open, SYN cookies.
 */
package dev.chimney.tcp;
