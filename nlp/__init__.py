"""Account classification: spaCy role component, language, country and stance.

Public entry points: :class:`nlp.classify.Classifier`, :func:`nlp.stance.score_stance`,
:func:`nlp.country.infer_country`; the spaCy factory ``scout_roles`` lives in
:mod:`nlp.components`.
"""
