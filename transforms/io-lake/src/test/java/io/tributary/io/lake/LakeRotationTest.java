package io.tributary.io.lake;

import static io.tributary.io.lake.LakeSinkTest.BASE;
import static io.tributary.io.lake.LakeSinkTest.customer;
import static io.tributary.io.lake.LakeSinkTest.ids;
import static io.tributary.io.lake.LakeSinkTest.readAll;
import static io.tributary.io.lake.LakeSinkTest.rowsPerFile;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.is;

import io.tributary.proto.cdc.ChangeEvent;
import io.tributary.proto.sinks.LakeRow;
import io.tributary.testing.Diff;
import io.tributary.testing.TestPipelineExtension;
import io.tributary.transforms.cdc.CdcRouting;
import io.tributary.transforms.cdc.Fixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.beam.sdk.extensions.protobuf.ProtoCoder;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lake's rotation in processing time, driven by a TestStream's processing-time clock. Only the
 * Direct runner can advance that clock (the Flink runner rejects {@code advanceProcessingTime}), so
 * this class is not a {@link io.tributary.testing.BeamTest}; the Flink runner's rotation is shown
 * by the unbounded pipeline tests in {@code it/} ({@code CdcEndToEndIT}, {@code CdcFaultIT}).
 */
@ExtendWith(TestPipelineExtension.class)
class LakeRotationTest {
  /**
   * A file is written once its first row is a rotation old (processing time), and the next rows of
   * the same partition go to a new file under the next sequence number: none replaces another.
   */
  @Test
  void filesRotateByProcessingTimeAndNeverReplaceEachOther(TestPipeline p, @TempDir Path dir) throws Exception {
    rotates(p, dir, false);
  }

  /**
   * The same with {@link LakeSink#withExactlyOnce}: the files are gathered by one step and written
   * by the next, whose input is stable, under the same names. (Its behaviour across a Flink job's
   * restore is shown by {@code LakeRestoreTest} in the pipelines module.)
   */
  @Test
  void exactlyOnceFilesRotateTheSameWay(TestPipeline p, @TempDir Path dir) throws Exception {
    rotates(p, dir, true);
  }

  private static void rotates(TestPipeline p, Path dir, boolean exactlyOnce) throws Exception {
    ChangeEvent create = Fixtures.change("doc/postgresql/customers-create.schemas.json");
    Duration rotation = Duration.standardMinutes(1);
    TestStream.Builder<LakeRow> stream = TestStream.create(ProtoCoder.of(LakeRow.class));
    List<String> expected = new ArrayList<>();
    int id = 0;
    for (int rows : new int[] {3, 2, 1}) {
      for (int i = 0; i < rows; i++, id++) {
        long commit = BASE + id * 1000L;
        LakeRow row = CdcRouting.lakeRow(customer(create, id, "r@x.org", commit, ChangeEvent.Op.CREATE), "customers");
        stream = stream.addElements(TimestampedValue.of(row, new Instant(commit)));
        expected.add(id + "/r@x.org");
      }
      stream = stream.advanceProcessingTime(rotation.plus(Duration.standardSeconds(1)));
    }
    p.apply(stream.advanceWatermarkToInfinity()).apply(LakeSink.write(dir.toString()).withRotation(rotation).withExactlyOnce(exactlyOnce));
    p.run().waitUntilFinish();

    Diff<String> diff = Diff.of(expected, ids(dir));
    assertThat("rows written differ: " + diff, diff.isEmpty(), is(true));
    assertThat(rowsPerFile(dir), contains(3, 2, 1));
    assertThat(
        readAll(dir).keySet().stream().map(f -> f.substring(f.length() - "000000.parquet".length()))
            .collect(Collectors.toList()),
        contains("000000.parquet", "000001.parquet", "000002.parquet"));
    // part-<schema version>-<run>-<shard>-<sequence>: the run that wrote a key's first file
    // (kept in its state) names all its files.
    assertThat(
        readAll(dir).keySet().stream().map(f -> f.split("-")[f.split("-").length - 3]).distinct().count(),
        is(1L));
  }

}
