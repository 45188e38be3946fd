/**
 * Wire formats: zero-copy views and value representations for Ethernet II/802.1Q, ARP, IPv4, IPv6 (extension
 * headers), ICMPv4, ICMPv6/NDP, UDP and TCP, plus the internet checksum. Depends on nothing else in Chimney.
 *
 * <h2>Two layers, one contract</h2>
 * <ul>
 *   <li><b>Views</b> ({@code XxxView}) are final, mutable flyweights over a {@link java.lang.foreign.MemorySegment}
 *   (heap or off-heap). {@code wrap(seg, offset, length)} stores three fields; {@code check()} validates lengths and
 *   header fields once and throws {@link dev.chimney.wire.WireFormatException} (stackless, with a
 *   {@link dev.chimney.wire.WireFormatException.Reason} usable as a drop-counter key); after that no accessor throws.
 *   Setters write fields for emitting. Views never allocate, so one instance per event loop serves every packet.</li>
 *   <li><b>Reprs</b> ({@code XxxRepr}) are validated immutable records: {@code parse(view, ...)},
 *   {@code bufferLen()}, {@code emit(seg, offset, ...)}. Payloads stay in the buffer: {@code emit} expects the
 *   payload already in place after the header and checksums it.</li>
 * </ul>
 *
 * <h2>Hot path (no allocation)</h2>
 * <pre>{@code
 * eth.wrap(frame).check();                                   // fields of this loop, reused
 * ip4.wrap(frame, eth.payloadOffset(), eth.payloadLength()).check();
 * if (!ip4.checksumOk()) drop(BAD_CHECKSUM);                 // skip when the device verified it
 * tcp.wrap(frame, ip4.upperOffset(), ip4.upperLength()).check();
 * if (!tcp.checksumOk(ip4.pseudoHeaderSum(IpProtocol.TCP, ip4.upperLength()))) drop(BAD_CHECKSUM);
 * tcp.readOptions(options);                                  // reusable TcpOptions holder
 * }</pre>
 * Emitting: {@code TcpView} setters + {@link dev.chimney.wire.TcpView#writeOptions(TcpOptions, int)} +
 * {@link dev.chimney.wire.TcpView#fillChecksum(int)}, or {@link dev.chimney.wire.TcpRepr#emit}; {@code IpView}
 * ({@link dev.chimney.wire.Ipv4View} or {@link dev.chimney.wire.Ipv6View}) supplies the pseudo-header sum for either
 * family. {@code WireBenchmark} in the bench module measures both paths and their bytes per frame.
 */
package dev.chimney.wire;
