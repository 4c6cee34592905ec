"""What a PACS's answers mean: DIMSE statuses and failed associations, in sentences.

Every DIMSE response carries a Status (0000,0900), a 16-bit code whose category PS3.7
Annex C fixes (0x0000 success; 0xFF00/0xFF01 pending; 0xFE00 cancel; 0x0001, 0xBxxx and a
few 0x01xx warning; 0xAxxx, 0xCxxx and the other 0x01xx/0x02xx failure) and whose meaning
each service class defines (PS3.4: B.2.3 for C-STORE, C.4.x for C-FIND, C-MOVE, C-GET): the
same 0xB000 is "coercion of data elements" for C-STORE but "sub-operations complete, one or
more failures" for C-MOVE and C-GET.
:func:`status_message` reads them from pynetdicom's own tables (``pynetdicom.status``).

An association can fail before any status: the called side rejects it (A-ASSOCIATE-RJ:
result, source and reason, PS3.8 Table 9-21), either side aborts it, or it is accepted with
none of the presentation contexts the caller needs. :func:`explain_association` says which,
and what to do.

The lesson's SCU code (lesson 05) stays in the notebook; these two helpers only put the
answers into words.
"""

from __future__ import annotations

from typing import Any

__all__ = ["explain_association", "status_message"]

#: service -> (its name, its pynetdicom status table name, the PS3.4 section of its statuses)
_SERVICES = {
    "echo": ("C-ECHO", "VERIFICATION_SERVICE_CLASS_STATUS", "PS3.7 Annex C"),
    "store": ("C-STORE", "STORAGE_SERVICE_CLASS_STATUS", "PS3.4 B.2.3"),
    "find": ("C-FIND", "QR_FIND_SERVICE_CLASS_STATUS", "PS3.4 C.4.1.1.4"),
    "move": ("C-MOVE", "QR_MOVE_SERVICE_CLASS_STATUS", "PS3.4 C.4.2.1.5"),
    "get": ("C-GET", "QR_GET_SERVICE_CLASS_STATUS", "PS3.4 C.4.3.1.4"),
}


def status_message(status: Any, service: str | None = None) -> str:
    """A sentence for a DIMSE status: its category, hex code and meaning.

    Every DIMSE response carries a Status (0000,0900) (PS3.7 Section 9.1.1.1.9; the codes
    of each service are in PS3.4, the general ones in PS3.7 Annex C). The meanings come from
    pynetdicom's own tables (:mod:`pynetdicom.status`); a code means different things in
    different services (0xB000 "Coercion of Data Elements" for C-STORE, "Sub-operations
    complete, one or more failures" for C-MOVE), so
    say which service answered when you know it.

    Parameters
    ----------
    status : pydicom.dataset.Dataset or int
        What ``send_c_echo``/``send_c_store`` returned, or the status of one
        ``send_c_find``/``send_c_move``/``send_c_get`` answer; or the code itself. An empty
        Dataset (pynetdicom's way of saying no answer came) is explained too.
    service : {"echo", "store", "find", "move", "get"}, optional
        The service that answered.

    Returns
    -------
    str

    Examples
    --------
    >>> from bootcamp_utils import status_message
    >>> status_message(0x0000, "echo")
    'Success (0x0000): C-ECHO done.'
    >>> status_message(0xA700, "store")
    'Failure (0xA700): C-STORE Refused: Out of Resources (PS3.4 B.2.3).'
    >>> status_message(0xFF00, "find")
    'Pending (0xFF00): C-FIND Matches are continuing, current match supplied (PS3.4 C.4.1.1.4).'
    >>> from pydicom import Dataset
    >>> status_message(Dataset())
    'No status: no answer came (association aborted or timed out: see explain_association).'
    """
    from pynetdicom import status as tables

    name, table_name, section = ("DIMSE", None, "PS3.7 Annex C")
    if service is not None:
        if service not in _SERVICES:
            raise ValueError(f"service={service!r}: use one of {', '.join(_SERVICES)}")
        name, table_name, section = _SERVICES[service]
    extra = ""
    if isinstance(status, int):
        code = status
    else:
        if status is None or "Status" not in status:
            return (
                "No status: no answer came (association aborted or timed out: see "
                "explain_association)."
            )
        code = int(status.Status)
        comment = status.get("ErrorComment")
        if comment:
            extra += f' The PACS says: "{comment}".'
        counts = [
            (keyword, status.get(f"NumberOf{keyword}Suboperations"))
            for keyword in ("Completed", "Failed", "Warning", "Remaining")
        ]
        counts = [f"{value} {keyword.lower()}" for keyword, value in counts if value is not None]
        if counts:
            extra += f" Sub-operations: {', '.join(counts)}."
    category = tables.code_to_category(code)
    tables_to_read = [table_name] if table_name else [t for _, t, _ in _SERVICES.values()]
    meaning = ""
    for table in tables_to_read:
        found = getattr(tables, table).get(code)
        if found and found[1]:
            category, meaning = found
            break
    if code == 0x0000:
        return f"Success (0x0000): {name} done.{extra}"
    if not meaning:
        meaning = "a code the standard does not define for this service"
    return f"{category} (0x{code:04X}): {name} {meaning} ({section}).{extra}"


_REJECT_FIXES = {
    (1, 3): "the PACS does not know this calling AE title (or not from this host): register it "
    "(start_pacs(client_ae=...), or move_destinations), or call with a registered one",
    (1, 7): "the PACS does not answer to this called AE title: call it by its own "
    "(LocalPACS.ae_title)",
    (1, 2): "the PACS does not support the DICOM application context",
    (2, 2): "the PACS does not support this version of the upper layer protocol",
    (3, 1): "the PACS is too busy now: try again later",
    (3, 2): "the PACS has reached its limit of associations: close others, then try again",
}


def explain_association(assoc: Any) -> str:
    """What happened to an association request, in one or two sentences, with the fix.

    An association is requested with A-ASSOCIATE (PS3.8 Section 7.1); the answer is an
    acceptance (A-ASSOCIATE-AC), in which each presentation context is accepted or not
    (PS3.8 Table 9-18), or a rejection (A-ASSOCIATE-RJ) with a result, a source and a reason
    (PS3.8 Section 9.3.4, Table 9-21). Either side can also abort (A-ABORT, PS3.8 Section
    7.3), and a request to a port where nothing listens never gets that far.

    Parameters
    ----------
    assoc : pynetdicom.association.Association
        What ``AE.associate`` returned.

    Returns
    -------
    str

    Examples
    --------
    >>> from pynetdicom import AE
    >>> from bootcamp_utils import explain_association, free_port
    >>> ae = AE("LESSON05")
    >>> ae.add_requested_context("1.2.840.10008.1.1")
    >>> port = free_port()
    >>> print(explain_association(ae.associate("127.0.0.1", port)))  # doctest: +ELLIPSIS
    Could not connect to 127.0.0.1:...: nothing is listening there. Is the PACS running...
    """
    peer = f"{assoc.acceptor.address}:{assoc.acceptor.port}"
    called = assoc.acceptor.ae_title
    if assoc.is_rejected:
        primitive = assoc.acceptor.primitive
        key = (primitive.result_source, primitive.diagnostic)
        fix = _REJECT_FIXES.get(key, "read the PACS's log")
        how = {1: "permanently", 2: "transiently"}.get(primitive.result, "")
        source = primitive.source_str.replace("Service User", "service user (the PACS itself)")
        reason = primitive.reason_str
        return (
            f"Association rejected {how} by the {source[0].lower() + source[1:]} at {peer} "
            f"(called AE title {called!r}, calling {assoc.requestor.ae_title!r}): "
            f"{reason[0].lower() + reason[1:]} (PS3.8 Table 9-21). Fix: {fix}."
        )
    contexts = _context_lines(assoc)
    if assoc.is_established:
        accepted = len(assoc.accepted_contexts)
        text = f"Association established with {called!r} at {peer}: {accepted} presentation "
        text += "context accepted" if accepted == 1 else "contexts accepted"
        if contexts:
            text += "; refused: " + contexts + ". Sending those SOP classes will fail"
        return text + "."
    if assoc.acceptor.primitive is None and assoc.requestor.port in (0, None):
        return (
            f"Could not connect to {peer}: nothing is listening there. Is the PACS running "
            "(LocalPACS.running), and is this its port (LocalPACS.port)?"
        )
    if assoc.acceptor.primitive is not None and not assoc.accepted_contexts:
        return (
            f"Association aborted: {called!r} at {peer} accepted none of the presentation "
            f"contexts requested: {contexts or 'none requested'}. Request a SOP class the PACS "
            "stores (ae.add_requested_context) or convert the data."
        )
    if assoc.is_aborted:
        return (
            f"Association with {called!r} at {peer} aborted (A-ABORT or A-P-ABORT, PS3.8 "
            "Section 7.3): the connection was closed or timed out; read the PACS's log."
        )
    return f"Association with {called!r} at {peer}: not established (no answer yet)."


def _context_lines(assoc: Any) -> str:
    from pydicom.uid import UID

    refused = []
    for context in assoc.rejected_contexts:
        uid = UID(context.abstract_syntax)
        name = uid.name if uid.is_valid and uid.name != str(uid) else str(uid)
        refused.append(f"{name} ({context.status.lower()})")
    return ", ".join(refused)
