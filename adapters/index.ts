// Every adapter the bridge knows: one SMS provider and the chat platforms. A new one is a folder
// under adapters/ exporting a descriptor (src/contracts/index.ts), plus one line here.
import type { AdapterDescriptor } from "../src/contracts/index.ts";
import { ardary } from "./ardary/descriptor.ts";
import { discord } from "./discord/descriptor.ts";
import { slack } from "./slack/descriptor.ts";

export const ADAPTERS: AdapterDescriptor[] = [ardary, slack, discord];
