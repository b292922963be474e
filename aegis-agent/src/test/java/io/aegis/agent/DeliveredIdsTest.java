package io.aegis.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeliveredIdsTest {

  @TempDir
  Path dir;

  @Test
  void aSecondAcceptOfTheSameIdIsADuplicate() {
    DeliveredIds ids = DeliveredIds.inMemory(10);
    assertThat(ids.accept("m-1")).isTrue();
    assertThat(ids.accept("m-1")).isFalse();
    assertThat(ids.accept("m-2")).isTrue();
  }

  @Test
  void remembersAtMostItsCapacityForgettingTheOldestFirst() {
    DeliveredIds ids = DeliveredIds.inMemory(3);
    for (String id : List.of("a", "b", "c", "d")) {
      assertThat(ids.accept(id)).isTrue();
    }
    assertThat(ids.size()).isEqualTo(3);
    assertThat(ids.contains("a")).isFalse();
    assertThat(ids.contains("b")).isTrue();
    assertThat(ids.contains("d")).isTrue();
  }

  @Test
  void persistedIdsSurviveARestart() throws Exception {
    Path file = dir.resolve("delivered.ids");
    try (DeliveredIds ids = DeliveredIds.open(file, 100)) {
      ids.accept("m-1");
      ids.persist("m-1");
      ids.accept("m-2"); // accepted, but its handler never started: not persisted
    }
    try (DeliveredIds again = DeliveredIds.open(file, 100)) {
      assertThat(again.accept("m-1")).isFalse();
      assertThat(again.accept("m-2")).isTrue();
    }
  }

  @Test
  void theFileIsCompactedToTheNewestIdsWhenItGrowsPastTwiceTheCapacity() throws Exception {
    Path file = dir.resolve("sub/delivered.ids");
    try (DeliveredIds ids = DeliveredIds.open(file, 5)) {
      for (int i = 0; i < 11; i++) {
        ids.accept("m-" + i);
        ids.persist("m-" + i);
      }
      assertThat(ids.linesInFile()).isEqualTo(5);
    }
    assertThat(Files.readAllLines(file)).containsExactly("m-6", "m-7", "m-8", "m-9", "m-10");
    try (DeliveredIds again = DeliveredIds.open(file, 5)) {
      assertThat(again.contains("m-10")).isTrue();
      assertThat(again.contains("m-5")).isFalse();
    }
  }

  @Test
  void aTornLastLineFromACrashIsSkippedAndTheNextIdStartsOnItsOwnLine() throws Exception {
    Path file = dir.resolve("delivered.ids");
    Files.writeString(file, "m-1\nm-2\nm-3-torn\u0000\u0000", StandardCharsets.UTF_8);
    try (DeliveredIds ids = DeliveredIds.open(file, 100)) {
      assertThat(ids.contains("m-1")).isTrue();
      assertThat(ids.contains("m-2")).isTrue();
      assertThat(ids.size()).isEqualTo(2);
      ids.accept("m-4");
      ids.persist("m-4");
    }
    try (DeliveredIds again = DeliveredIds.open(file, 100)) {
      assertThat(again.contains("m-4")).isTrue();
    }
  }

  @Test
  void loadingKeepsOnlyTheNewestCapacityIds() throws Exception {
    Path file = dir.resolve("delivered.ids");
    Files.writeString(file, "a\nb\nc\nd\ne\n");
    try (DeliveredIds ids = DeliveredIds.open(file, 2)) {
      assertThat(ids.contains("e")).isTrue();
      assertThat(ids.contains("d")).isTrue();
      assertThat(ids.contains("c")).isFalse();
    }
  }
}
