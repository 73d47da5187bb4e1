import { describe, expect, it } from "vitest";
import { runConversation } from "../vectors/conversation.js";
import { conversations } from "../vectors/conversations.js";
import { defects } from "../vectors/defects.js";

describe("client: scripted broker conversations (Node)", () => {
  for (const conversation of conversations) it(conversation.name, () => expect(runConversation(conversation)).toBeNull());
});

describe("client: the defects of the client issue, pinned (Node)", () => {
  for (const conversation of defects) it(conversation.name, () => expect(runConversation(conversation)).toBeNull());
});
