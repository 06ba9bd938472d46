package io.tributary.transforms.cdc;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tributary.proto.values.SourcePosition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SourcePositionsTest {

  @Test
  void binlogOrderIsFileNumberThenPositionThenRow() {
    List<SourcePosition> inLogOrder =
        List.of(
            SourcePositions.binlog("mysql-bin.000009", 99_999, 0, "", 1),
            SourcePositions.binlog("mysql-bin.000010", 4, 0, "", 1),
            SourcePositions.binlog("mysql-bin.000010", 4, 1, "", 1),
            SourcePositions.binlog("mysql-bin.000010", 4, 10, "", 1),
            SourcePositions.binlog("mysql-bin.000010", 120, 0, "", 1),
            SourcePositions.binlog("mysql-bin.1000000", 4, 0, "", 1));
    List<SourcePosition> shuffled = new ArrayList<>(inLogOrder);
    Collections.shuffle(shuffled, new Random(5));
    shuffled.sort(SourcePositions.ORDER);
    assertThat(shuffled, is(inLogOrder));
    assertThat(SourcePositions.isAfter(inLogOrder.get(1), inLogOrder.get(0)), is(true));
    assertThat(SourcePositions.isAfter(inLogOrder.get(0), inLogOrder.get(0)), is(false));
  }

  @Test
  void postgresOrderIsCommitThenLsnSoInterleavedTransactionsOrderByCommit() {
    // T1 wrote at LSN 100 and 300 but committed after T2, which wrote at 200 (commit 250).
    SourcePosition t2 = SourcePositions.postgres(200, 150, 2);
    SourcePosition t1a = SourcePositions.postgres(100, 250, 1);
    SourcePosition t1b = SourcePositions.postgres(300, 250, 1);
    SourcePosition snapshot = SourcePositions.postgres(400, 0, 0);
    List<SourcePosition> all = new ArrayList<>(List.of(t1b, t2, t1a, snapshot));
    all.sort(SourcePositions.ORDER);
    assertThat(all, contains(snapshot, t2, t1a, t1b));
  }

  @Test
  void aBinlogFileWithoutANumberIsRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SourcePositions.binlog("binlog", 4, 0, "", 1));
    assertThat(e.getMessage(), is("binlog file name 'binlog' does not end in a numeric extension"));
    e = assertThrows(IllegalArgumentException.class, () -> SourcePositions.binlog("b.000001", -1, 0, "", 1));
    assertThat(e.getMessage(), is("binlog position must not be negative, got pos -1 row 0"));
  }
}
