from mirage_nb.errors import ConfigMlError, Location, MirageNbError


def test_error_with_location_names_file_line_column():
    e = ConfigMlError("Unbound value generic_stackv4", loc=Location("config.ml", 3, 14))
    assert str(e) == "config.ml:3:14: Unbound value generic_stackv4"
    assert isinstance(e, MirageNbError)


def test_error_without_location_is_the_message():
    assert str(MirageNbError("unknown target 'foo'")) == "unknown target 'foo'"
