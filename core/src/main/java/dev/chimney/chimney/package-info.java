/**
 * The chimney interface (spec §0.3, §2-§5, §7): what passes between a host stack and an offload target.
 *
 * <ul>
 *   <li>{@link dev.chimney.chimney.OffloadTarget}: the ten {@code Miniport*} entry points, capabilities, parameters,
 *       statistics. {@link dev.chimney.chimney.OffloadHost}: the completions and indications.</li>
 *   <li>{@link dev.chimney.chimney.BlockList}: a node of an offload state tree (neighbor → path → TCP) with its
 *       state records ({@link dev.chimney.chimney.NeighborOffloadState}, {@link dev.chimney.chimney.PathOffloadState},
 *       and the TCP engine's own {@code TcpConst} / {@code TcpCached} / {@code TcpDelegated}), status, handle and
 *       send chain. {@link dev.chimney.chimney.OffloadHandle}: the host's handle with the target's context slot.</li>
 *   <li>Data requests: {@link dev.chimney.chimney.SendRequest}, {@link dev.chimney.chimney.ReceiveRequest},
 *       {@link dev.chimney.chimney.DisconnectRequest}, {@link dev.chimney.chimney.ForwardRequest}; receive
 *       indications {@link dev.chimney.chimney.ReceiveIndication}.</li>
 *   <li>Events {@link dev.chimney.chimney.TcpEvent} with {@link dev.chimney.chimney.UploadReason}; status indications
 *       {@link dev.chimney.chimney.StatusIndication}; {@link dev.chimney.chimney.OffloadStatus}.</li>
 * </ul>
 *
 * <p>Java shape of the NDIS structures (spec §0.2): an NBL with one NB is one request object over one byte range;
 * chains link through {@code next}. Ticks are the host's ({@code OffloadParameters.ticksPerSecond}). Every call is
 * asynchronous and completes on the caller's loop (see {@link dev.chimney.chimney.OffloadTarget}).
 *
 * <p>Sub-packages: {@code host} (the offload manager), {@code target} (the soft target and the fault-injecting
 * wrapper).
 */
package dev.chimney.chimney;
