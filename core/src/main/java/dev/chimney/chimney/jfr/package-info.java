/**
 * JDK Flight Recorder events of the chimney: every offload operation with its tree size, outcome and duration,
 * every indication from the target, and every failover of a team. They cost nothing unless a recording enables
 * them ({@code java -XX:StartFlightRecording ...}, {@code jcmd PID JFR.start}); record and read them with {@code jfr
 * print --categories Chimney rec.jfr} or a {@link jdk.jfr.consumer.RecordingStream}.
 *
 * <p>Durations are JFR's own (wall clock); the loop-clock duration, which is virtual time under the simulator, is a
 * field of its own so that replayed runs can be compared.
 */
package dev.chimney.chimney.jfr;
