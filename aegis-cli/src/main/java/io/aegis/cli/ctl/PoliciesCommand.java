package io.aegis.cli.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ctl policies …}: versioned policies and their assignments. */
@Command(name = "policies", mixinStandardHelpOptions = true,
    description = "Publish, inspect, assign and delete versioned policies.",
    subcommands = {PoliciesCommand.ListPolicies.class, PoliciesCommand.Show.class, PoliciesCommand.Versions.class,
        PoliciesCommand.Put.class, PoliciesCommand.Delete.class, PoliciesCommand.Assignments.class,
        PoliciesCommand.Assign.class, PoliciesCommand.Unassign.class})
final class PoliciesCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static String path(String name) {
    return "/api/v1/policies/" + CtlLeaf.seg(name);
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Policies (their latest versions), by name.")
  static final class ListPolicies extends CtlLeaf {
    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      output(jsonFlag.json).list(api().all("/api/v1/policies", "policies"),
          new Table("NAME", "VERSION", "CREATED", "DESCRIPTION"), p -> new Object[] {Output.text(p, "name"),
              Output.text(p, "version"), Output.time(p, "created_at"), Output.text(p, "description")});
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "A policy's latest (or given) version.")
  static final class Show extends CtlLeaf {
    @Parameters(paramLabel = "NAME", description = "The policy name.")
    String name;

    @Option(names = "--version", paramLabel = "V", description = "This version instead of the latest.")
    Integer version;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      Output out = output(jsonFlag.json);
      JsonNode p = api().get(path(name) + (version == null ? "" : "/versions/" + version));
      if (out.json()) {
        out.print(p);
        return 0;
      }
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("name", Output.text(p, "name"));
      f.put("version", Output.text(p, "version"));
      f.put("description", Output.text(p, "description"));
      f.put("created_at", Output.text(p, "created_at"));
      out.fields(f);
      out.print(p.path("document"));
      return 0;
    }
  }

  @Command(name = "versions", mixinStandardHelpOptions = true, description = "A policy's versions, newest first.")
  static final class Versions extends CtlLeaf {
    @Parameters(paramLabel = "NAME", description = "The policy name.")
    String name;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      output(jsonFlag.json).list(api().all(path(name) + "/versions", "versions"),
          new Table("VERSION", "CREATED", "DESCRIPTION"), p -> new Object[] {Output.text(p, "version"),
              Output.time(p, "created_at"), Output.text(p, "description")});
      return 0;
    }
  }

  @Command(name = "put", mixinStandardHelpOptions = true,
      description = "Publish a policy's next version (the first one creates it); connected agents it reaches get it at once.")
  static final class Put extends CtlLeaf {
    @Parameters(paramLabel = "NAME", description = "The policy name.")
    String name;

    @Option(names = "--document", required = true, paramLabel = "JSON",
        description = "The policy document: a JSON object, @FILE, or - for standard input.")
    String document;

    @Option(names = "--description", paramLabel = "TEXT", description = "What this version changes.")
    String description;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      ObjectNode body = GatewayApi.object();
      body.set("document", jsonArgument("--document", document));
      if (description != null) {
        body.put("description", description);
      }
      Output out = output(jsonFlag.json);
      JsonNode p = api().put(path(name), body);
      if (out.json()) {
        out.print(p);
      } else {
        out.line("published " + Output.text(p, "name") + " version " + Output.text(p, "version"));
      }
      return 0;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a policy with its versions and assignments.")
  static final class Delete extends CtlLeaf {
    @Parameters(paramLabel = "NAME", description = "The policy name.")
    String name;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      Output out = output(jsonFlag.json);
      api().delete(path(name));
      if (out.json()) {
        out.print(GatewayApi.object().put("deleted", name));
      } else {
        out.line("deleted policy " + name);
      }
      return 0;
    }
  }

  @Command(name = "assignments", mixinStandardHelpOptions = true, description = "Who a policy is assigned to.")
  static final class Assignments extends CtlLeaf {
    @Parameters(paramLabel = "NAME", description = "The policy name.")
    String name;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      output(jsonFlag.json).list(api().all(path(name) + "/assignments", "assignments"),
          new Table("ASSIGNMENT ID", "TARGET", "CREATED"), a -> new Object[] {Output.text(a, "id"),
              Output.text(a, "target_type") + " " + Output.text(a, "target_value"), Output.time(a, "created_at")});
      return 0;
    }
  }

  @Command(name = "assign", mixinStandardHelpOptions = true,
      description = "Assign a policy to one agent (--agent) or to every agent with a label (--label).")
  static final class Assign extends CtlLeaf {
    @Parameters(paramLabel = "NAME", description = "The policy name.")
    String name;

    @Option(names = "--agent", paramLabel = "ID", description = "The agent.")
    String agentId;

    @Option(names = "--label", paramLabel = "K=V", description = "The label.")
    String label;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      if ((agentId == null) == (label == null)) {
        throw usage("give exactly one of --agent ID and --label K=V");
      }
      ObjectNode body = agentId != null ? GatewayApi.object().put("agent_id", agentId)
          : GatewayApi.object().put("label", label);
      Output out = output(jsonFlag.json);
      JsonNode a = api().post(path(name) + "/assignments", body);
      if (out.json()) {
        out.print(a);
      } else {
        out.line("assigned " + name + " to " + (agentId != null ? "agent " + agentId : "label " + label)
            + " (assignment " + Output.text(a, "id") + ")");
      }
      return 0;
    }
  }

  @Command(name = "unassign", mixinStandardHelpOptions = true, description = "Remove an assignment (its id from 'assignments').")
  static final class Unassign extends CtlLeaf {
    @Parameters(index = "0", paramLabel = "NAME", description = "The policy name.")
    String name;

    @Parameters(index = "1", paramLabel = "ASSIGNMENT_ID", description = "The assignment id.")
    String assignmentId;

    @Mixin JsonFlag jsonFlag;

    @Override
    public Integer call() {
      Output out = output(jsonFlag.json);
      api().delete(path(name) + "/assignments/" + seg(assignmentId));
      if (out.json()) {
        out.print(GatewayApi.object().put("deleted", assignmentId));
      } else {
        out.line("removed assignment " + assignmentId + " of " + name);
      }
      return 0;
    }
  }
}
