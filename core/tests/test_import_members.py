import pytest

from core.models import BoardMember, SteeringBoard, UnitKind, UnitRole, User
from core.tests.factories import BoardFactory, UnitFactory, UserFactory
from core.tests.test_import_files import run, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

HEADER = "username,full_name,email,unit_code,role,password\n"
MEMBERS = (
    HEADER + "lan,Nông Thị Lan,lan@example.vn,X1,chair,matkhau-lan-1\n"
    "lan,Nông Thị Lan,,X1,official,\n"  # a second role of the same person
    "hung,Hoàng Văn Hùng,hung@example.vn,X1,secretary,\n"
    "hung,Hoàng Văn Hùng,hung@example.vn,HA,leader,\n"
)


@pytest.fixture(autouse=True)
def _units_and_fast_hashes(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    district = UnitFactory(code="HA", name="Huyện Hòa An", kind=UnitKind.DISTRICT)
    UnitFactory(code="X1", name="Xã Hồng Việt", parent=district)


def snapshot() -> dict[str, list]:
    return {
        "users": list(
            User.objects.order_by("username").values_list(
                "username", "full_name", "email", "unit_id", "password"
            )
        ),
        "boards": list(SteeringBoard.objects.values_list("unit__code", "name")),
        "members": sorted(BoardMember.objects.values_list("board_id", "user_id", "role")),
        "roles": sorted(UnitRole.objects.values_list("unit_id", "user_id", "role")),
    }


def test_good_csv_creates_users_boards_and_roles(tmp_path):
    result = run("import_members", write_csv(tmp_path, MEMBERS))

    assert not result.failed, result.err
    assert result.out.splitlines() == [
        "Đã nhập 2 người dùng: 2 mới, 0 cập nhật, 0 không đổi.",
        "Vai trò mới: 4.",
    ]
    lan = User.objects.get(username="lan")
    assert lan.full_name == "Nông Thị Lan" and lan.unit.code == "X1"
    assert lan.check_password("matkhau-lan-1")
    hung = User.objects.get(username="hung")
    assert not hung.has_usable_password()
    board = SteeringBoard.objects.get(unit__code="X1")
    assert board.name == "Ban Chỉ đạo Xã Hồng Việt"
    assert set(board.members.values_list("user__username", "role")) == {
        ("lan", "chair"),
        ("hung", "secretary"),
    }
    assert set(UnitRole.objects.values_list("unit__code", "user__username", "role")) == {
        ("X1", "lan", "official"),
        ("HA", "hung", "leader"),
    }


def test_vietnamese_headers_and_roles_from_xlsx(tmp_path):
    BoardFactory(unit=UnitFactory(code="X2", name="Xã Trương Lương"))
    path = write_xlsx(
        tmp_path,
        [
            ["Tên đăng nhập", "Họ và tên", "Thư điện tử", "Mã đơn vị", "Vai trò", "Mật khẩu"],
            ["thu", "Lương Thị Thu", None, "X2", "Phó trưởng ban", None],
            ["thu", "Lương Thị Thu", None, "X2", "Văn thư", None],
            [1001, "Bế Văn Một", "mot@example.vn", "X2", "thành viên", 12345678],
        ],
    )
    result = run("import_members", path)

    assert not result.failed, result.err
    assert SteeringBoard.objects.filter(unit__code="X2").count() == 1
    assert set(BoardMember.objects.values_list("user__username", "role")) == {
        ("thu", "deputy"),
        ("1001", "member"),
    }
    assert UnitRole.objects.get(user__username="thu").role == "clerk"
    assert User.objects.get(username="1001").check_password("12345678")


@pytest.mark.parametrize(
    ("bad_row", "error"),
    [
        (
            "minh,Lý Minh,,ZZ,member,",
            "line 3, column unit_code: không có đơn vị mã “ZZ” trong cơ sở dữ liệu",
        ),
        (
            "minh,Lý Minh,,X1,boss,",
            "line 3, column role: “boss” không phải là một trong các giá trị: cán bộ (official)",
        ),
        ("minh,Lý Minh,minh@,X1,member,", "line 3, column email: Nhập một địa chỉ email hợp lệ"),
        (
            "minh,Lý Minh,,X1,member,ngan",
            "line 3, column password: Mật khẩu quá ngắn: phải có ít nhất 8 ký tự.",
        ),
        ("minh lý,Lý Minh,,X1,member,", "line 3, column username: Điền tên đăng nhập hợp lệ"),
        (",Lý Minh,,X1,member,", "line 3, column username: ô này không được để trống"),
        ("minh,,,X1,member,", "line 3, column full_name: ô này không được để trống"),
        (
            "lan,Nông Lan,,X1,member,",
            "line 3, column full_name: khác với dòng 2 của cùng người dùng",
        ),
        (
            "lan,Nông Thị Lan,lan2@example.vn,X1,member,",
            "line 3, column email: khác với dòng 2 của cùng người dùng",
        ),
        ("lan,Nông Thị Lan,,X1,trưởng ban,", "line 3, column role: dòng này trùng với dòng 2"),
    ],
)
def test_a_bad_row_rejects_the_whole_file(tmp_path, bad_row, error):
    UserFactory(username="old")
    before = snapshot()
    path = write_csv(
        tmp_path, HEADER + "lan,Nông Thị Lan,lan@example.vn,X1,chair,\n" + bad_row + "\n"
    )

    result = run("import_members", path)

    assert result.failed
    assert result.errors[0].startswith(error)
    assert len(result.errors) == 2  # the row's error and the summary line
    assert snapshot() == before


def test_dry_run_writes_nothing(tmp_path):
    result = run("import_members", write_csv(tmp_path, MEMBERS), "--dry-run")

    assert not result.failed, result.err
    assert result.out.splitlines() == [
        "Tệp hợp lệ: 2 người dùng, 2 sẽ tạo mới, 0 sẽ cập nhật, 0 không đổi.",
        "Vai trò mới: 4.",
        "Chạy thử: không có gì được ghi vào cơ sở dữ liệu.",
    ]
    assert not User.objects.exists() and not SteeringBoard.objects.exists()


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = write_csv(tmp_path, MEMBERS)
    run("import_members", path)
    before = snapshot()

    result = run("import_members", path)

    assert result.out.splitlines() == [
        "Đã nhập 2 người dùng: 0 mới, 0 cập nhật, 2 không đổi.",
        "Vai trò mới: 0.",
    ]
    assert snapshot() == before  # the same password hashes too


def test_a_changed_file_updates_users_and_adds_roles_and_lists_them(tmp_path):
    run("import_members", write_csv(tmp_path, MEMBERS))
    old_hashes = dict(User.objects.values_list("username", "password"))
    changed = (
        HEADER + "lan,Nông Thị Lan,lan@example.vn,X1,chair,matkhau-moi-2\n"
        "hung,Hoàng Văn Hùng,hung@example.vn,HA,secretary,\n"
        "hung,Hoàng Văn Hùng,hung@example.vn,HA,deputy,\n"
    )
    path = write_csv(tmp_path, changed, "changed.csv")

    dry = run("import_members", path, "--dry-run")
    assert dry.out.splitlines() == [
        "Tệp hợp lệ: 2 người dùng, 0 sẽ tạo mới, 1 sẽ cập nhật, 1 không đổi.",
        "Tài khoản đã có thay đổi:",
        "  Dòng 3: hung: đơn vị X1 → HA",
        "Giữ nguyên mật khẩu (tệp ghi mật khẩu khác; --update-passwords để đặt lại): lan.",
        "Vai trò mới: 2.",
        "Chạy thử: không có gì được ghi vào cơ sở dữ liệu.",
    ]
    result = run("import_members", path)

    assert result.out.splitlines()[0] == "Đã nhập 2 người dùng: 0 mới, 1 cập nhật, 1 không đổi."
    # Existing accounts keep their password unless asked.
    assert dict(User.objects.values_list("username", "password")) == old_hashes
    hung = User.objects.get(username="hung")
    assert hung.unit.code == "HA"
    assert set(hung.board_memberships.values_list("board__unit__code", "role")) == {
        ("X1", "secretary"),
        ("HA", "secretary"),
        ("HA", "deputy"),
    }


def test_update_passwords_sets_the_files_password_on_existing_accounts(tmp_path):
    run("import_members", write_csv(tmp_path, MEMBERS))
    changed = HEADER + "lan,Nông Thị Lan,lan@example.vn,X1,chair,matkhau-moi-2\n"
    result = run("import_members", write_csv(tmp_path, changed, "c.csv"), "--update-passwords")
    assert "  Dòng 2: lan: mật khẩu" in result.out.splitlines()
    assert User.objects.get(username="lan").check_password("matkhau-moi-2")


def test_a_superuser_is_never_changed_by_an_import(tmp_path):
    root = UserFactory(username="admin", full_name="Quản trị", email="a@x.vn", is_superuser=True)
    root.set_password("mat-khau-quan-tri")
    root.save()
    before = (root.full_name, root.email, root.unit_id, root.password)
    file = HEADER + "admin,Kẻ Lạ,la@example.vn,X1,clerk,doi-mat-khau-1\n"
    result = run("import_members", write_csv(tmp_path, file), "--update-passwords")
    assert not result.failed, result.err
    assert "Dòng 2: admin là siêu người dùng; giữ nguyên." in result.out
    root.refresh_from_db()
    assert (root.full_name, root.email, root.unit_id, root.password) == before
    assert not UnitRole.objects.filter(user=root).exists()
