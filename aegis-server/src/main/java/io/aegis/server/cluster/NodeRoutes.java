package io.aegis.server.cluster;

import io.aegis.server.api.Access;
import io.aegis.server.api.Scope;
import io.aegis.server.api.ApiException;
import io.aegis.server.api.ApiRouter;
import io.aegis.server.api.Reply;
import io.vertx.core.http.HttpMethod;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The cluster's nodes, for operators: {@code GET /api/v1/nodes} (every node seen in the last day,
 * with its state — up, draining or down —, the sessions it holds and its last heartbeat) and
 * {@code POST /api/v1/nodes/{node_id}/drain}, which any node accepts for any other: the node
 * named drains (docs/OPERATIONS.md, "Drain and rolling restart") and then stops.
 */
public final class NodeRoutes {

  record NodeList(List<Cluster.Node> nodes) {}

  record Draining(String nodeId, String state) {}

  private final Cluster cluster;
  private final String nodeId;
  private final Runnable drainThisNode;

  /** @param drainThisNode starts this node's drain (returns at once; the drain runs on its own) */
  public NodeRoutes(Cluster cluster, String nodeId, Runnable drainThisNode) {
    this.cluster = cluster;
    this.nodeId = nodeId;
    this.drainThisNode = drainThisNode;
  }

  public void mount(ApiRouter api) {
    api.routeAsync(HttpMethod.GET, "/api/v1/nodes", Access.operator(Scope.READ), r -> cluster.nodes().thenApply(nodes ->
        Reply.ok(new NodeList(nodes))));
    api.routeAsync(HttpMethod.POST, "/api/v1/nodes/:node_id/drain", Access.operator(Scope.ADMIN), r -> {
      String target = r.path("node_id");
      if (target.equals(nodeId)) {
        drainThisNode.run();
        return CompletableFuture.completedFuture(Reply.accepted(new Draining(target, "draining")));
      }
      return cluster.nodes().thenApply(nodes -> {
        Cluster.Node node = nodes.stream().filter(n -> n.nodeId().equals(target)).findFirst()
            .orElseThrow(() -> ApiException.notFound("node '" + target + "' is not part of this cluster"));
        if (node.state().equals("down")) {
          throw ApiException.conflict("node_down", "node '" + target + "' is down: there is nothing to drain");
        }
        cluster.events().drainRequested(target);
        return Reply.accepted(new Draining(target, "draining"));
      });
    });
  }
}
