package io.tributary.pipelines.activity;

import io.tributary.pipelines.io.Synthetic;
import io.tributary.proto.activity.ActivitySnapshot;
import io.tributary.proto.activity.PageView;
import io.tributary.testing.BeamTest;
import io.tributary.testing.Schedule;
import io.tributary.transforms.activity.ActivityOracle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;

/** The pipeline's transforms on generated traffic, against the brute-force oracle. */
@BeamTest
class ActivityPipelineTest {
  @Test
  void snapshotsOfGeneratedTrafficEqualTheOracle(TestPipeline p) {
    ActivityOptions options =
        PipelineOptionsFactory.fromArgs(
                "--windowSize=60s", "--windowPeriod=10s", "--topN=5", "--maxEvents=6000",
                "--eventsPerSecond=50", "--pages=40", "--maxDisorder=4s")
            .as(ActivityOptions.class);
    ActivityPipeline.validate(options);
    PageViewGenerator generator = new PageViewGenerator(42, 1_700_000_000_000L, 50, 40, 4000, 1_800_000);
    List<Schedule.Arrival<PageView>> arrivals = new ArrayList<>();
    for (long i = 0; i < 6000; i++) {
      PageView v = generator.at(i);
      arrivals.add(new Schedule.Arrival<>(v, v.getEventTimeMillis(), Long.MIN_VALUE));
    }
    Map<Long, ActivitySnapshot> expected =
        new TreeMap<>(ActivityOracle.snapshots(arrivals, 60_000, 10_000, 0, 5, Set.of()));

    PCollection<PageView> views = p.apply(Synthetic.bounded(generator, 6000));
    ActivityPipeline.Outputs outputs = ActivityPipeline.build(views, options);
    PAssert.that(outputs.snapshots()).satisfies(new SnapshotsEqual(expected));
    PAssert.that(outputs.failures()).empty();
    p.run().waitUntilFinish();
  }

  static final class SnapshotsEqual implements SerializableFunction<Iterable<ActivitySnapshot>, Void> {
    private final Map<Long, ActivitySnapshot> expected;

    SnapshotsEqual(Map<Long, ActivitySnapshot> expected) {
      this.expected = expected;
    }

    @Override
    public Void apply(Iterable<ActivitySnapshot> actual) {
      Map<Long, ActivitySnapshot> got = new TreeMap<>();
      for (ActivitySnapshot s : actual) {
        if (got.put(s.getWindowStartMillis(), s.toBuilder().clearPane().build()) != null) {
          throw new AssertionError("two snapshots for window " + s.getWindowStartMillis());
        }
      }
      for (Long start : expected.keySet()) {
        if (!expected.get(start).equals(got.get(start))) {
          throw new AssertionError("window " + start + "\nexpected " + expected.get(start) + "\nactual " + got.get(start));
        }
      }
      if (!got.keySet().equals(expected.keySet())) {
        throw new AssertionError("windows differ: expected " + expected.size() + ", got " + got.size());
      }
      return null;
    }
  }
}
