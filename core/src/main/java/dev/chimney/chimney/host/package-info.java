/**
 * The host side of the TCP chimney (spec §1.1, §3-§5): {@link dev.chimney.chimney.host.OffloadManager} on the host's
 * event loop decides which connections go to an {@link dev.chimney.chimney.OffloadTarget} ({@link
 * dev.chimney.chimney.host.OffloadPolicy}: explicit, all established, after N bytes — always within the target's
 * capabilities), builds the neighbor → path → TCP state trees, keeps one {@link dev.chimney.chimney.host.OffloadObject}
 * record per state object with its handle, state machine ({@link dev.chimney.chimney.host.OffloadState}) and
 * dependent count, runs the logical switch through the parked {@code TcpConnection} so that the socket user never
 * notices, and takes connections back. {@code NetworkStack.builder(loop)...offload(target, policy)} installs it.
 *
 * <p>Choices where the spec leaves room (spec §9), each documented where it is made:
 * <ul>
 *   <li>receive side: the connection's receive ring is the only receive buffer; indications are taken up to its
 *       free space and a <b>zero-byte</b> receive request re-enables them after a refusal ({@link
 *       dev.chimney.chimney.host.OffloadManager});</li>
 *   <li>optional upload reasons are honoured by default ({@link
 *       dev.chimney.chimney.host.OffloadPolicy#acceptOptionalRetrieve});</li>
 *   <li>connections in CLOSING and LAST_ACK stay on the host (nothing would report their last ACK);</li>
 *   <li>a REACHABLE neighbor answers a reachability query with an HRD of at least 1 and below NceStaleTicks;</li>
 *   <li>a path or neighbor is terminated in the same tree as its last dependent when it is idle, else as soon as it
 *       is; a media disconnect uploads the connections of that interface;</li>
 *   <li>admission (spec §5.1.4, the state table on {@link dev.chimney.chimney.host.OffloadManager}): UPLOAD_ALL
 *       closes it until RESUME (spec §9 item 32) and terminates in batches by path; an initiate in flight at
 *       UPLOAD_ALL is terminated once its completion arrives (spec §9 items 30, 31); an early RESUME is counted and
 *       applied when drained; RESUME adapts to the capabilities it carries and re-offloads what the upload-all took
 *       back.</li>
 * </ul>
 */
package dev.chimney.chimney.host;
