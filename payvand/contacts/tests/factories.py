"""factory_boy factories for contacts. Contacts are made through `contact_create`, so identities are normalised and
the search index is in step, exactly as in production."""

from __future__ import annotations

from typing import Any

import factory

from payvand.contacts import services
from payvand.contacts.models import Contact, CustomField, FlagType


class FlagTypeFactory(factory.django.DjangoModelFactory[FlagType]):
    class Meta:
        model = FlagType

    name = factory.Sequence(lambda n: f"Flag {n}")
    colour = "#dc3545"
    severity = FlagType.Severity.WARNING


class CustomFieldFactory(factory.django.DjangoModelFactory[CustomField]):
    class Meta:
        model = CustomField

    key = factory.Sequence(lambda n: f"field_{n}")
    label = factory.LazyAttribute(lambda o: o.key.replace("_", " ").title())
    kind = CustomField.Kind.TEXT


class ContactFactory(factory.Factory[Contact]):
    """`ContactFactory.create(name="Ali", phones=["0912…"])`; duplicates are allowed unless `allow_duplicates=False`."""

    class Meta:
        model = Contact

    name = factory.Sequence(lambda n: f"Person {n:05d}")
    kind = Contact.Kind.PERSON
    allow_duplicates = True

    @classmethod
    def _create(cls, model_class: type[Contact], *args: Any, **kwargs: Any) -> Contact:
        kwargs.setdefault("by", None)
        return services.contact_create(**kwargs)

    @classmethod
    def _build(cls, model_class: type[Contact], *args: Any, **kwargs: Any) -> Contact:
        raise NotImplementedError("contacts are only made through contact_create")


class OrganisationFactory(ContactFactory):
    name = factory.Sequence(lambda n: f"Organisation {n:05d}")
    kind = Contact.Kind.ORGANISATION


def iran_mobile(n: int) -> str:
    """A valid Iranian mobile number, written nationally: 0912 100 0000 + n."""
    digits = f"{1000000 + n:07d}"
    return f"0912 {digits[:3]} {digits[3:]}"


def iran_mobile_e164(n: int) -> str:
    return "+98912" + f"{1000000 + n:07d}"
