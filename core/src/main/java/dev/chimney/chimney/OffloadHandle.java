package dev.chimney.chimney;

/**
 * The host-side handle of one offloaded state object ({@code NDIS_OFFLOAD_HANDLE}, spec §2.9, §2.12). The layer
 * above a target creates it and passes it in the block list; the target
 * <ul>
 *   <li>stores the handle in its context area and passes it back in every indication about the object
 *       (R-TREE-7);</li>
 *   <li>writes its own context reference into {@link #miniportContext} when, and only when, the object's offload
 *       succeeded (R-TREE-6). From then on every request about the object carries that context (R-TREE-8).</li>
 * </ul>
 * An intermediate target keeps the upper handle and passes its own handle down (spec §2.15, R-IM-1).
 *
 * <p>Threading: the target writes the slot on its own loop before it posts the initiate completion; the host reads it
 * on its loop after the completion arrived. The loop's command queue orders the two (a volatile publication), so the
 * field needs no lock.
 */
public final class OffloadHandle {
    private final Object owner;
    private Object miniportContext;

    /** @param owner the upper layer's object this handle stands for (the host's connection, path or neighbor) */
    public OffloadHandle(Object owner) {
        this.owner = owner;
    }

    /** The upper layer's object (for its own lookup; the target never looks at it). */
    public Object owner() {
        return owner;
    }

    /** The target's context reference, or null while the object is not offloaded (a "new offload" slot). */
    public Object miniportContext() {
        return miniportContext;
    }

    /** Written by the target after a successful offload (R-TREE-6); cleared by the host after a terminate. */
    public void miniportContext(Object context) {
        this.miniportContext = context;
    }

    @Override
    public String toString() {
        return "OffloadHandle[" + owner + (miniportContext == null ? "" : " ctx=" + miniportContext) + "]";
    }
}
