"""Database helpers for hot paths the ORM has no cheap form of (PostgreSQL; elsewhere the ORM does it)."""
from django.db import connections, router
from django.db.models import Model

# PostgreSQL takes at most 65,535 parameters a statement; bigger batches go through bulk_create's batching.
_MAX_PARAMS = 30_000


def insert_rows(objs: list[Model]) -> list[Model]:
    """`Model.objects.bulk_create(objs)` as one `INSERT ... VALUES (...), ... RETURNING id` written directly.

    For new instances of one model with an automatic primary key (what e-mail intake writes for a batch
    of tickets): each value is the one bulk_create would send (the field's pre_save and
    get_db_prep_save, after taking up the ids of related objects saved since they were assigned); the
    instances get their ids and count as saved, as after bulk_create. Django's compiler spent more of the
    intake process's CPU on these statements than the statements took. Anything this does not cover
    (another database, a preset id, a database default or generated column, an expression as a value, a
    field with its own placeholder, a very large batch) goes to bulk_create.
    """
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    alias = router.db_for_write(model)
    connection = connections[alias]
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk]
    if (
        connection.vendor != "postgresql"
        or meta.parents
        or not pk.db_returning
        or len(objs) * len(fields) > _MAX_PARAMS
        or any(type(obj) is not model or obj.pk is not None for obj in objs)
        or any(f.db_returning or f.has_db_default() or getattr(f, "generated", False) or hasattr(f, "get_placeholder")
               for f in fields)
    ):
        return model.objects.bulk_create(objs)
    params = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        values = [f.pre_save(obj, True) for f in fields]
        if any(hasattr(value, "resolve_expression") for value in values):
            return model.objects.bulk_create(objs)
        params += [f.get_db_prep_save(value, connection) for f, value in zip(fields, values)]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {', '.join([row] * len(objs))} RETURNING {quote(pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]  # in the order of the VALUES rows
    for obj, pk_value in zip(objs, ids, strict=True):
        setattr(obj, pk.attname, pk_value)
        obj._state.adding = False
        obj._state.db = alias
    return objs
