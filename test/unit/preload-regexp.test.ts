// The manifests preload firmware's modules: what a module makes at its top level is made at build time
// and kept in flash. Moddable SDK 8.2.3 mishandles a RegExp made that way: it has no match data, so each
// test()/exec() allocates it with a lost `else` in fxAllocateRegExpData (xs/sources/xsre.c) that leaks a
// malloc and, when a compacting GC lands during the match, crashes (found on the SDK's lin runtime:
// net/connection.ts's IPv4 check segfaulted at the first connection attempt). So no RegExp literal or
// RegExp() call may run at a module's top level in firmware/: each stays inside the function that uses it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = process.cwd();

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Each RegExp a module makes while it loads: literals and RegExp() calls outside any function body. */
export function topLevelRegExps(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node, inFunction: boolean): void => {
    const fn = ts.isFunctionLike(node) && !ts.isClassStaticBlockDeclaration(node);
    const made =
      ts.isRegularExpressionLiteral(node) ||
      ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && node.expression.text === "RegExp");
    // An IIFE at the top level runs while the module loads: its body counts as top level.
    const iife = fn && (ts.isFunctionExpression(node) || ts.isArrowFunction(node)) && ts.isCallExpression(node.parent.kind === ts.SyntaxKind.ParenthesizedExpression ? node.parent.parent : node.parent);
    if (made && !inFunction) {
      const { line } = source.getLineAndCharacterOfPosition(node.getStart());
      found.push(`${relative(root, file)}:${line + 1}: ${node.getText().slice(0, 60)}`);
    }
    node.forEachChild((child) => visit(child, inFunction || (fn && !iife)));
  };
  visit(source, false);
  return found;
}

describe("firmware/ makes no RegExp while a module loads (preloaded on the device)", () => {
  it("no module-level RegExp literal or RegExp() call", () => {
    const found = sources(join(root, "firmware")).flatMap((file) => topLevelRegExps(file, readFileSync(file, "utf8")));
    expect(found).toEqual([]);
  });

  it("the check finds one at the top level, in a class field and in a top-level IIFE, and not inside a function", () => {
    const text = [
      "const A = /a/;",
      "class C { static B = new RegExp('b'); c = /c/; m() { return /ok/.test('x'); } }",
      "const D = (() => /d/)();",
      "function f() { return RegExp('ok'); }",
      "const g = () => /ok/;",
    ].join("\n");
    expect(topLevelRegExps(join(root, "firmware/x.ts"), text).map((line) => line.replace(/^.*?: /, ""))).toEqual(["/a/", "new RegExp('b')", "/c/", "/d/"]);
  });
});
