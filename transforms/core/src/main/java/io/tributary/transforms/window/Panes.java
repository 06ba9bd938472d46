package io.tributary.transforms.window;

import io.tributary.proto.common.Pane;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;

/** Converts Beam's pane of a windowed result into the {@link Pane} that results carry. */
public final class Panes {
  private Panes() {}

  /** The timing, index and last flag of {@code pane}. */
  public static Pane of(PaneInfo pane) {
    Pane.Timing timing;
    switch (pane.getTiming()) {
      case EARLY:
        timing = Pane.Timing.EARLY;
        break;
      case ON_TIME:
        timing = Pane.Timing.ON_TIME;
        break;
      case LATE:
        timing = Pane.Timing.LATE;
        break;
      default:
        timing = Pane.Timing.TIMING_UNSPECIFIED;
    }
    return Pane.newBuilder()
        .setTiming(timing)
        .setIndex(pane.getIndex())
        .setLast(pane.isLast())
        .build();
  }
}
