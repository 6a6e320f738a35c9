// The events and activity types GitHub knows, read from the workflow schema (the same
// snapshot the loader uses), so `run nosuchevent` and `--type nonsense` are refused with
// the list instead of silently triggering nothing.
import snapshot from "../workflow/workflow-schema.snapshot.json" with { type: "json" };

interface Definition {
  properties?: Record<string, unknown>;
  oneOf?: string[];
}

const definitions = snapshot.definitions as unknown as Record<string, Definition>;

/** Every workflow trigger event (`on:` keys), in the schema's order (alphabetical). */
export function knownEvents(): string[] {
  return Object.keys(definitions["on-mapping-strict"]?.properties ?? {});
}

/** The activity types of an event (`on.<event>.types`), or undefined when it has none. */
export function activityTypes(event: string): string[] | undefined {
  const prefix = `${event.replaceAll("_", "-")}-activity-type`;
  const types = definitions[prefix]?.oneOf;
  return types?.map((t) => t.slice(prefix.length + 1));
}
