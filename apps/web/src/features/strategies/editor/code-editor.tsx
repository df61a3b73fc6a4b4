'use client';

import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
} from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { javascript } from '@codemirror/lang-javascript';
import {
  bracketMatching,
  defaultHighlightStyle,
  indentOnInput,
  syntaxHighlighting,
} from '@codemirror/language';
import { lintGutter, setDiagnostics } from '@codemirror/lint';
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search';
import { EditorState } from '@codemirror/state';
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from '@codemirror/view';
import type { CompileProblem } from '@qt/shared';
import { useEffect, useRef } from 'react';
import { problemMarks } from './editor-diagnostics';

/** The dashboard's dark palette for the editor (CodeMirror's default theme is light). */
const darkTheme = EditorView.theme(
  {
    '&': { backgroundColor: '#09090b', color: '#e4e4e7', height: '100%', fontSize: '13px' },
    '.cm-content': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', caretColor: '#34d399' },
    '.cm-gutters': { backgroundColor: '#09090b', color: '#52525b', border: 'none' },
    '.cm-activeLine': { backgroundColor: '#18181b' },
    '.cm-activeLineGutter': { backgroundColor: '#18181b', color: '#a1a1aa' },
    '&.cm-focused .cm-selectionBackground, .cm-selectionBackground': {
      backgroundColor: '#3f3f46 !important',
    },
    '.cm-cursor': { borderLeftColor: '#34d399' },
    '.cm-scroller': { overflow: 'auto' },
    '.cm-tooltip': { backgroundColor: '#18181b', border: '1px solid #3f3f46', color: '#e4e4e7' },
  },
  { dark: true },
);

export interface CodeEditorProps {
  /** The text the editor starts with; a new value (another version opened) replaces the document. */
  initial: string;
  onChange: (text: string) => void;
  /** The last compile's problems, marked in the text and the gutter. */
  problems: readonly CompileProblem[];
  /** Ctrl/Cmd-Enter. */
  onCompile: () => void;
  /** Ctrl/Cmd-S (the browser's "save page" is suppressed). */
  onSave: () => void;
}

/**
 * CodeMirror 6 (a well-kept editor that is small enough for a dashboard, unlike Monaco) with
 * TypeScript highlighting (AssemblyScript is TypeScript syntax), brackets, search, undo history and the
 * compiler's problems as lint marks. The view is created once; props reach its handlers through refs.
 */
export function CodeEditor({ initial, onChange, problems, onCompile, onSave }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const handlers = useRef({ onChange, onCompile, onSave });
  handlers.current = { onChange, onCompile, onSave };

  useEffect(() => {
    if (!host.current) return;
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: initial,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          history(),
          drawSelection(),
          indentOnInput(),
          bracketMatching(),
          closeBrackets(),
          autocompletion(),
          highlightActiveLine(),
          highlightSelectionMatches(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          javascript({ typescript: true }),
          lintGutter(),
          darkTheme,
          keymap.of([
            {
              key: 'Mod-Enter',
              run: () => {
                handlers.current.onCompile();
                return true;
              },
            },
            {
              key: 'Mod-s',
              preventDefault: true,
              run: () => {
                handlers.current.onSave();
                return true;
              },
            },
            indentWithTab,
            ...closeBracketsKeymap,
            ...defaultKeymap,
            ...searchKeymap,
            ...historyKeymap,
            ...completionKeymap,
          ]),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) handlers.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // Created once per `initial`: a different version opened starts a fresh document and history.
  }, [initial]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    v.dispatch(setDiagnostics(v.state, problemMarks(problems, v.state.doc.length)));
  }, [problems]);

  return <div ref={host} className="h-full min-h-0 overflow-hidden" data-testid="strategy-editor-code" />;
}
