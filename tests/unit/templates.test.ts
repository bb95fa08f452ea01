/**
 * Template errors reported by the html stage (src/pipeline/html.ts): a syntax
 * error in a template or partial is one TemplateError naming the file, line and
 * column, Handlebars' reason in a few words, and what to do.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Handlebars from 'handlebars';
import { afterAll, describe, expect, it } from 'vitest';
import { TemplateError } from '../../src/errors.js';
import { msg } from '../../src/messages.js';
import { templatesIn } from '../helpers/templates.js';


const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A templates folder holding briefing.hbs and, if given, partials/chart.hbs. */
async function templatesDir(briefing: string, chart?: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'citybrief-templates-'));
  temps.push(dir);
  await mkdir(path.join(dir, 'partials'));
  await writeFile(path.join(dir, 'briefing.hbs'), briefing);
  if (chart !== undefined) await writeFile(path.join(dir, 'partials', 'chart.hbs'), chart);
  return dir;
}

/** The error loading the folder rejects with; it must be a TemplateError. */
async function loadError(dir: string): Promise<TemplateError> {
  const error = await templatesIn(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TemplateError);
  return error as TemplateError;
}

describe('template syntax errors', () => {
  it('an unclosed mustache in a partial: file:line:column where the parser stopped, the reason, and what to do', async () => {
    const dir = await templatesDir('<p>{{> chart}}</p>', '<figure>\n  <figcaption>{{title}</figcaption>\n</figure>\n');
    const error = await loadError(dir);
    expect(error.message).toBe(msg.templateInvalid(`${path.join(dir, 'partials', 'chart.hbs')}:2:17`, msg.templateSyntax('Parse error: unexpected "}"')));
    // Located, the parser's excerpt and token list are not carried along for the CLI to print.
    expect(error.cause).toBeUndefined();
  });

  it('a block that is never closed: the end of the template is named', async () => {
    const error = await loadError(await templatesDir('<p>\n{{#if note}}x'));
    expect(error.message).toMatch(/briefing\.hbs:2:\d+: Parse error: the template ends before an expression or block is closed\. Check the expression/);
  });

  it('a block closed by the wrong name: Handlebars\' reason at the block that opens', async () => {
    const dir = await templatesDir('<p>\n  {{#if note}}x{{/each}}</p>');
    const error = await loadError(dir);
    expect(error.message).toBe(msg.templateInvalid(`${path.join(dir, 'briefing.hbs')}:2:6`, msg.templateSyntax("if doesn't match each")));
  });

  it('an unclosed comment (a lexical error): located where the unreadable text starts', async () => {
    const dir = await templatesDir('<p>x</p>\n  {{!-- note');
    const error = await loadError(dir);
    expect(error.message).toBe(msg.templateInvalid(`${path.join(dir, 'briefing.hbs')}:2:3`, msg.templateSyntax('Lexical error: unrecognized text')));
  });

  it("leaves Handlebars' shared parser as it was: other instances still get its own errors, and good templates load", async () => {
    await loadError(await templatesDir('{{title}'));
    const parser = (Handlebars as unknown as { Parser: object }).Parser;
    expect(Object.hasOwn(parser, 'parseError')).toBe(false);
    expect(() => Handlebars.create().parse('{{title}')).toThrow(/^Parse error on line 1:\n/);
    const templates = await templatesIn(await templatesDir('<p>{{title}}</p>'));
    expect(templates.render('briefing', { title: 'ok' }).html).toContain('<p>ok</p>');
  });
});
