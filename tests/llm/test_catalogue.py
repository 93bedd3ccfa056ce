"""The template catalogue: listed templates are named by number, the rest written out."""

from __future__ import annotations

from logsieve.llm import Expert, ExpertConfig
from logsieve.llm.catalogue import Catalogue
from logsieve.llm.fake import ScriptedBackend
from logsieve.records import LogRecord, ParsedLine, Sequence

T = {3: "Receiving block <*>", 1: "Deleting block <*>", 9: "Exception in\nreceiveBlock <*>"}


def test_lists_lowest_ids_first_and_names_only_what_it_lists_with_the_same_text():
    cat = Catalogue(T, limit=2)
    assert cat.text == "T1: Deleting block <*>\nT3: Receiving block <*>" and len(cat) == 2
    view = cat.view(T)
    assert view[1] == "T1" and view[9] == "Exception in receiveBlock <*>"  # beyond the limit
    other = cat.view({1: "Deleting file <*>", 3: "Receiving block <*>"})  # another parser state
    assert other[1] == "Deleting file <*>" and other[3] == "T3"
    assert len(view) == 3 and sorted(view) == [1, 3, 9]


def _seq(key: str, ids: list[int]) -> Sequence:
    s = Sequence(key)
    for i, tid in enumerate(ids):
        s.append(ParsedLine(LogRecord("a.log", i + 1, "x", {}, None), tid, T[tid], (key, f"p{i}")))
    return s


class Spy(ScriptedBackend):
    def complete(self, request):
        self.request = request
        return super().complete(request)


def test_the_prompt_lists_templates_once_and_examples_on_one_line():
    backend = Spy(['{"status":"abnormal","explanation":"exception","lines":[1]}'])
    example = (_seq("blk_2", [3, 3, 1]), T, "normal")
    a = Expert(backend, ExpertConfig()).judge(_seq("blk_1", [3, 9, 3]), T, [example])
    system, user = (m["content"] for m in backend.request.messages)
    assert "T3: Receiving block <*>" in system and "Receiving block" not in user
    assert "Judged normal:\n<log_data>\nT1; T3 x2\n</log_data>" in user  # examples: one line each, templates by id
    # the judged sequence is numbered; the session id is never shown; params only where unfamiliar
    assert "[0] T3 x2\n[1] T9 | params: p1" in user and "blk_1" not in user
    assert a.ok and [r.line_no for r in a.refs] == [2]


def test_examples_of_one_composition_read_the_same():
    from logsieve.collab.examples import ExampleBank
    from logsieve.llm.compress import compress

    bank = ExampleBank(lambda seqs, t: [[1.0, float(len(s.template_ids))] for s in seqs])
    a, b, c = _seq("a", [1, 3, 3]), _seq("b", [3, 1, 3]), _seq("c", [3, 3, 9])
    bank.add([a, b, c], T, ["normal", "normal", "normal"])
    shots = bank.nearest(_seq("q", [1, 3, 3]), T, 3)
    assert len(shots) == 3  # one per ordered id list: a and b differ in order only, both kept
    assert compress(a, T, params_shown=0, order="id").inline == compress(b, T, params_shown=0, order="id").inline
