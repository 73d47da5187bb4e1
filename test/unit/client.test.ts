import { describe, expect, it } from "vitest";
import { runConversation } from "../vectors/conversation.js";
import { conversations } from "../vectors/conversations.js";

describe("client: scripted broker conversations (Node)", () => {
  for (const conversation of conversations) it(conversation.name, () => expect(runConversation(conversation)).toBeNull());
});
