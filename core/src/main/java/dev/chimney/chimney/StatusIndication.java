package dev.chimney.chimney;

/** The three adapter-wide status indications (spec §5.1), the reason this project exists. */
public enum StatusIndication {
    /** "Stop offloading to me": no new offloads; existing ones run on (spec §5.1.1). */
    OFFLOAD_PAUSE,
    /** "You may offload to me again": the host queries the capabilities again first (spec §5.1.2). */
    OFFLOAD_RESUME,
    /** "Terminate every offloaded connection", then every path and neighbor (spec §5.1.3). */
    UPLOAD_ALL
}
